import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testConfig } from './config.ts';
import { createLogger, type LogSink } from './logging.ts';
import { createRuntime, createServiceApp, forwardHeaders } from './service-app.ts';

function setup(overrides: Parameters<typeof testConfig>[0] = { service: 'demo' }) {
  const lines: string[] = [];
  const sink: LogSink = { write: (text) => lines.push(...text.trim().split('\n')) };
  const config = testConfig(overrides);
  const runtime = createRuntime(config, { logger: createLogger({ service: 'demo', sink, immediate: true, level: 'debug' }) });
  const app = createServiceApp(runtime);
  app.get('/things/:id', (c) => c.json({ id: c.req.param('id'), forward: forwardHeaders(c) }));
  app.get('/boom', () => {
    throw new Error('secret internals');
  });
  return { app, runtime, lines };
}

test('identity headers are on every response, including 404s and errors', async () => {
  const { app } = setup({ service: 'demo', serviceVersion: 'v2', podName: 'demo-v2-abc' });
  for (const path of ['/things/1', '/nowhere', '/boom', '/healthz']) {
    const res = await app.request(path);
    assert.equal(res.headers.get('x-service'), 'demo', path);
    assert.equal(res.headers.get('x-service-version'), 'v2', path);
    assert.equal(res.headers.get('x-pod'), 'demo-v2-abc', path);
  }
});

test('unknown routes get a JSON 404 and thrown errors a 500 without internals', async () => {
  const { app } = setup();
  const missing = await app.request('/nowhere');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  const boom = await app.request('/boom');
  assert.equal(boom.status, 500);
  const text = await boom.text();
  assert.doesNotMatch(text, /secret internals|at /);
  assert.deepEqual(JSON.parse(text), { error: { code: 'internal', message: 'internal error' } });
});

test('propagated headers are forwarded and a request id is generated when absent', async () => {
  const { app } = setup();
  const res = await app.request('/things/7', {
    headers: { 'x-request-id': 'req-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-user-group': 'beta', cookie: 'no' },
  });
  const body = (await res.json()) as { forward: Record<string, string> };
  assert.equal(body.forward['x-request-id'], 'req-1');
  assert.equal(body.forward['x-user-group'], 'beta');
  assert.equal(body.forward.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  assert.equal(body.forward.cookie, undefined);
  const generated = (await (await app.request('/things/8')).json()) as { forward: Record<string, string> };
  assert.match(generated.forward['x-request-id']!, /^[0-9a-f-]{36}$/);
});

test('one request log line per request with route pattern, status, request and trace ids', async () => {
  const { app, lines } = setup();
  await app.request('/things/42', { headers: { 'x-request-id': 'abc', 'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124' } });
  const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
  assert.equal(requests.length, 1);
  const entry = requests[0]!;
  assert.equal(entry.service, 'demo');
  assert.equal(entry.method, 'GET');
  assert.equal(entry.path, '/things/42');
  assert.equal(entry.route, '/things/:id');
  assert.equal(entry.status, 200);
  assert.equal(entry.requestId, 'abc');
  assert.equal(entry.traceId, '463ac35c9f6413ad48485a3953bb6124');
  assert.equal(typeof entry.durationMs, 'number');
});

test('metrics count by route pattern and status; probes are not counted as requests served', async () => {
  const { app, runtime } = setup();
  await app.request('/things/1');
  await app.request('/things/2');
  await app.request('/nowhere');
  await app.request('/healthz');
  const text = await (await app.request('/metrics')).text();
  assert.match(text, /http_requests_total\{service="demo",method="GET",route="\/things\/:id",status="200"\} 2/);
  assert.match(text, /http_requests_total\{service="demo",method="GET",route="unmatched",status="404"\} 1/);
  assert.doesNotMatch(text, /route="\/things\/1"/);
  assert.equal(runtime.stats.requests(), 3);
});

test('readyz turns 503 while draining, healthz stays 200, and responses ask to close the connection', async () => {
  const { app, runtime } = setup();
  assert.equal((await app.request('/readyz')).status, 200);
  runtime.lifecycle.startDraining();
  assert.equal((await app.request('/readyz')).status, 503);
  assert.equal((await app.request('/healthz')).status, 200);
  assert.equal((await app.request('/things/1')).headers.get('connection'), 'close');
});

test('switches fail API routes but never the probes', async () => {
  const { app, runtime } = setup();
  runtime.switches.update({ alwaysFail: true, errorStatus: 500 });
  const res = await app.request('/things/1');
  assert.equal(res.status, 500);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'injected_failure');
  assert.equal((await app.request('/healthz')).status, 200);
  assert.equal((await app.request('/readyz')).status, 200);
});

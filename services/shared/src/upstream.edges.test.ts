// The edges of the upstream client that the 502/503/504 answers and the callers' decisions rest on:
// how each node:http failure is classified, what a failing answer tells the caller (status, code, who
// answered), empty and non-JSON bodies, the per-call deadline, the response size limit. A loopback
// server on 127.0.0.1 plays the upstream. (upstream.test.ts covers the main paths.)
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { classifyFailure, createUpstreamClient, unexpectedAnswer, UpstreamError } from './upstream.ts';

let server: Server;
let base: string;
const received: Array<{ url: string; headers: IncomingMessage['headers']; body: string; port: number }> = [];

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/service-error': (_q, s) => s.writeHead(503, { 'content-type': 'application/json', 'x-service': 'payments', 'x-service-version': 'v2', 'x-pod': 'payments-v2-abc' }).end('{"error":{"code":"card_declined","message":"no"}}'),
  '/proxy-error': (_q, s) => s.writeHead(503, { 'content-type': 'text/plain' }).end('{"error":{"code":"looks_like_json"}} no healthy upstream'),
  '/version-only': (_q, s) => s.writeHead(500, { 'x-service-version': 'v1' }).end(),
  '/pod-only': (_q, s) => s.writeHead(500, { 'x-pod': 'p-1' }).end(),
  '/long-code': (_q, s) => s.writeHead(500, { 'x-service': 'payments' }).end(JSON.stringify({ error: { code: 'x'.repeat(101) } })),
  '/code-100': (_q, s) => s.writeHead(500, { 'x-service': 'payments' }).end(JSON.stringify({ error: { code: 'y'.repeat(100) } })),
  '/numeric-code': (_q, s) => s.writeHead(500, { 'x-service': 'payments' }).end('{"error":{"code":7}}'),
  '/not-json-error': (_q, s) => s.writeHead(500, { 'x-service': 'payments' }).end('<html>oops</html>'),
  '/null-error': (_q, s) => s.writeHead(500, { 'x-service': 'payments' }).end('null'),
  '/timeout-504': (_q, s) => s.writeHead(504, { 'x-service': 'orders' }).end('{"error":{"code":"upstream_timeout"}}'),
  '/empty-json': (_q, s) => s.writeHead(204, { 'content-type': 'application/json' }).end(),
  '/problem-json': (_q, s) => s.writeHead(200, { 'content-type': 'application/problem+json' }).end('{"title":"ok"}'),
  '/text': (_q, s) => s.writeHead(200, { 'content-type': 'text/plain' }).end('{"not":"parsed"}'),
  '/no-type': (_q, s) => s.writeHead(200).end('{"not":"parsed"}'),
  '/malformed': (_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end('{"a":'),
  '/big': (_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: 'z'.repeat(1000) })),
  '/teapot': (_q, s) => s.writeHead(418, { 'content-type': 'application/json' }).end('{"short":"stout"}'),
  '/announced-big': (_q, s) => s.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' }).end('{}'.padEnd(1000, ' ')),
  '/stalled-body': (_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).write('{"partial":'), // never ends; closed in after()
  '/slow': (_q, s) => void setTimeout(() => s.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":true}'), 150),
  '/proxy-big': (_q, s) => s.writeHead(503, { 'content-type': 'text/plain' }).end('no healthy upstream '.repeat(500)),
  '/cut-body': (q, s) => (s.writeHead(200, { 'content-type': 'application/json' }).write('{"partial":'), setTimeout(() => q.socket.destroy(), 20)),
  '/hang': () => undefined, // never answers; closed in after()
  '/reset': (q) => q.socket.destroy(),
};

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body, port: req.socket.remotePort ?? 0 });
      const route = routes[req.url ?? ''];
      if (route) route(req, res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(path: string, options: { timeoutMs?: number; maxResponseBytes?: number; callTimeoutMs?: number; baseUrl?: string } = {}): Promise<UpstreamError> {
  const client = createUpstreamClient({ name: 'payments', baseUrl: options.baseUrl ?? base, timeoutMs: options.timeoutMs ?? 5000, ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}) });
  try {
    await client.request({ method: 'GET', path, ...(options.callTimeoutMs ? { timeoutMs: options.callTimeoutMs } : {}) });
  } catch (error) {
    assert.ok(error instanceof UpstreamError, String(error));
    return error;
  } finally {
    await client.close();
  }
  assert.fail(`${path} resolved`);
}

test('classification: timeouts, connection failures (as code or cause), anything else is a 502', () => {
  assert.equal(classifyFailure(new DOMException('late', 'TimeoutError')), 'upstream_timeout', 'the deadline fired');
  assert.equal(classifyFailure({ name: 'TimeoutError', code: 'ECONNRESET' }), 'upstream_timeout', 'a deadline wins over the reset it causes');
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']) {
    assert.equal(classifyFailure({ code }), 'upstream_unavailable', code);
    assert.equal(classifyFailure({ cause: { code } }), 'upstream_unavailable', `cause ${code}`);
  }
  for (const other of [{ code: 'RESPONSE_TOO_LARGE' }, { code: 'ERR_INVALID_URL' }, { code: 'HPE_INVALID_CONSTANT' }, new Error('boom'), null, undefined, { cause: {} }, { name: 'AbortError' }]) {
    assert.equal(classifyFailure(other), 'upstream_error', JSON.stringify(other));
  }
  // The error's own code wins over its cause's.
  assert.equal(classifyFailure({ code: 'ERR_OTHER', cause: { code: 'ECONNREFUSED' } }), 'upstream_error');
});

test('a failing answer from the service carries its status, its error code, who answered and which pod', async () => {
  const e = await failure('/service-error');
  assert.deepEqual(
    [e.status, e.failure, e.upstream, e.upstreamStatus, e.upstreamCode, e.answeredBy, e.served, e.neverSent],
    [502, 'upstream_error', 'payments', 503, 'card_declined', 'payments', { version: 'v2', pod: 'payments-v2-abc' }, false],
    'a 503 answer is the upstream erring (502), not the upstream being unreachable (503)',
  );
  assert.equal(e.message, 'payments answered 503');
  const timeout = await failure('/timeout-504');
  assert.deepEqual([timeout.status, timeout.failure, timeout.upstreamStatus, timeout.upstreamCode], [504, 'upstream_timeout', 504, 'upstream_timeout'], 'a 504 stays a timeout along the chain');
});

test('a failing answer from a proxy (no x-service) has no error code, even if its body looks like one', async () => {
  const e = await failure('/proxy-error');
  assert.deepEqual([e.status, e.upstreamStatus, e.upstreamCode, e.answeredBy, e.served], [502, 503, undefined, undefined, undefined]);
  assert.deepEqual((await failure('/version-only')).served, { version: 'v1', pod: '' });
  assert.deepEqual((await failure('/pod-only')).served, { version: '', pod: 'p-1' });
});

test('an error code is taken only when it is a short string in an error body', async () => {
  assert.equal((await failure('/long-code')).upstreamCode, undefined, 'over 100 characters');
  assert.equal((await failure('/code-100')).upstreamCode, 'y'.repeat(100));
  assert.equal((await failure('/numeric-code')).upstreamCode, undefined);
  assert.equal((await failure('/not-json-error')).upstreamCode, undefined);
  assert.equal((await failure('/null-error')).upstreamCode, undefined);
});

test('bodies: JSON by any json content type, empty and non-JSON bodies are undefined, malformed JSON is a 502', async () => {
  const client = createUpstreamClient({ name: 'products', baseUrl: base, timeoutMs: 5000 });
  try {
    assert.deepEqual(await client.request({ method: 'GET', path: '/problem-json' }).then((r) => [r.status, r.body]), [200, { title: 'ok' }]);
    assert.deepEqual(await client.request({ method: 'GET', path: '/empty-json' }).then((r) => [r.status, r.body]), [204, undefined]);
    assert.deepEqual(await client.request({ method: 'GET', path: '/text' }).then((r) => [r.status, r.body]), [200, undefined]);
    assert.deepEqual(await client.request({ method: 'GET', path: '/no-type' }).then((r) => [r.status, r.body]), [200, undefined]);
    const teapot = await client.request({ method: 'GET', path: '/teapot' });
    assert.deepEqual([teapot.status, teapot.body, teapot.headers['content-type']], [418, { short: 'stout' }, 'application/json'], '4xx resolves with its body and headers');
  } finally {
    await client.close();
  }
  const malformed = await failure('/malformed');
  assert.deepEqual([malformed.status, malformed.failure, malformed.upstreamStatus], [502, 'upstream_error', 200]);
  assert.ok(malformed.cause instanceof SyntaxError);
  assert.equal(malformed.message, 'payments sent malformed JSON');
});

test('a JSON body is sent with its content type beside the given headers; without one, neither', async () => {
  const client = createUpstreamClient({ name: 'orders', baseUrl: base, timeoutMs: 5000 });
  try {
    await client.request({ method: 'POST', path: '/with-json', headers: { 'x-request-id': 'r-1', 'idempotency-key': 'k-1' }, json: { total_cents: 1299 } });
    await client.request({ method: 'DELETE', path: '/without-json', headers: { 'x-request-id': 'r-2' } });
    await client.request({ method: 'GET', path: '/no-headers' });
  } finally {
    await client.close();
  }
  const withJson = received.find((r) => r.url === '/with-json')!;
  assert.deepEqual([withJson.headers['content-type'], withJson.headers['x-request-id'], withJson.headers['idempotency-key'], withJson.body], ['application/json', 'r-1', 'k-1', '{"total_cents":1299}']);
  const without = received.find((r) => r.url === '/without-json')!;
  assert.deepEqual([without.headers['content-type'], without.headers['x-request-id'], without.body], [undefined, 'r-2', '']);
  assert.ok(received.some((r) => r.url === '/no-headers'));
});

test('the per-call deadline overrides the client\'s, and its message says how long it waited', async () => {
  const started = Date.now();
  const e = await failure('/hang', { timeoutMs: 10_000, callTimeoutMs: 150 });
  assert.ok(Date.now() - started < 5000, 'the call deadline, not the client one');
  assert.deepEqual([e.status, e.failure, e.neverSent, e.upstreamStatus], [504, 'upstream_timeout', false, undefined]);
  assert.equal(e.message, 'payments did not answer within 150 ms');
  const byClient = await failure('/hang', { timeoutMs: 120 });
  assert.equal(byClient.message, 'payments did not answer within 120 ms');
});

test('a response over maxResponseBytes is a 502, not a truncated body', async () => {
  const e = await failure('/big', { maxResponseBytes: 100 });
  assert.deepEqual([e.status, e.failure, e.name], [502, 'upstream_error', 'UpstreamError']);
  assert.equal((e.cause as Error).message, 'payments sent more than 100 bytes', 'refused while streaming: no size was announced');
  assert.equal(e.message, 'payments call failed');
  const client = createUpstreamClient({ name: 'p', baseUrl: base, timeoutMs: 5000 });
  try {
    assert.equal(((await client.request({ method: 'GET', path: '/big' })).body as { data: string }).data.length, 1000, 'the 1 MB default lets it through');
  } finally {
    await client.close();
  }
});

test('a size announced over maxResponseBytes fails before the body is read; one just under passes', async () => {
  const e = await failure('/announced-big', { maxResponseBytes: 999 });
  assert.deepEqual([e.status, e.failure, e.neverSent], [502, 'upstream_error', false]);
  assert.deepEqual([(e.cause as Error & { code?: string }).code, (e.cause as Error).message], ['RESPONSE_TOO_LARGE', 'payments announced 1000 bytes'], 'refused on the announced size');
  const client = createUpstreamClient({ name: 'p', baseUrl: base, timeoutMs: 5000, maxResponseBytes: 1000 });
  try {
    assert.deepEqual((await client.request({ method: 'GET', path: '/announced-big' })).body, {});
  } finally {
    await client.close();
  }
});

test('a body that stops halfway is a timeout, not a connection failure', async () => {
  const e = await failure('/stalled-body', { callTimeoutMs: 150 });
  assert.deepEqual([e.status, e.failure, e.neverSent, e.message], [504, 'upstream_timeout', false, 'payments did not answer within 150 ms']);
  assert.deepEqual([(e.cause as Error).name, (e.cause as Error).message], ['TimeoutError', 'payments did not answer within 150 ms']);
});

test('a body cut off by the upstream is a connection failure that may have been acted on', async () => {
  const e = await failure('/cut-body');
  assert.deepEqual([e.status, e.failure, e.neverSent], [503, 'upstream_unavailable', false]);
});

test('a proxy\'s failing answer is drained unread, whatever its size', async () => {
  const e = await failure('/proxy-big', { maxResponseBytes: 100 });
  assert.deepEqual([e.status, e.failure, e.upstreamStatus, e.upstreamCode, e.message], [502, 'upstream_error', 503, undefined, 'payments answered 503']);
});

test('a finished call\'s deadline leaves its socket alone, and closing the client closes its idle sockets', async () => {
  const client = createUpstreamClient({ name: 'products', baseUrl: base, timeoutMs: 100, connections: 1 });
  try {
    await client.request({ method: 'GET', path: '/text' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    await client.request({ method: 'GET', path: '/text' });
    const [a, b] = received.filter((r) => r.url === '/text').slice(-2);
    assert.equal(a!.port, b!.port, 'the second call reused the socket after the first call\'s deadline passed');
  } finally {
    await client.close();
  }
  const open = () => new Promise<number>((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
  let left = await open();
  for (let i = 0; i < 50 && left > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = await open();
  }
  assert.equal(left, 0, 'no socket stays open after close()');
});

test('closing waits for the calls under way, then refuses new ones without sending them', async () => {
  const client = createUpstreamClient({ name: 'products', baseUrl: base, timeoutMs: 2000 });
  const slow = client.request({ method: 'GET', path: '/slow' });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await client.close();
  assert.deepEqual((await slow).body, { slow: true }, 'the call under way finished');
  const before = received.length;
  await assert.rejects(client.request({ method: 'GET', path: '/no-type' }), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.deepEqual([e.failure, e.neverSent, e.message], ['upstream_unavailable', true, 'products client is closed']);
    return true;
  });
  assert.equal(received.length, before, 'nothing reached the upstream');
});

test('an https base URL speaks TLS: against a plain HTTP server the call fails instead of passing', async () => {
  const e = await failure('/no-type', { baseUrl: base.replace('http:', 'https:') });
  assert.deepEqual([e.status, e.failure, (e.cause as { code?: string }).code], [502, 'upstream_error', 'EPROTO'], 'a TLS record error');
});

test('refused: unavailable and never sent; the client remembers its name and base URL', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  const client = createUpstreamClient({ name: 'users', baseUrl: url, timeoutMs: 5000 });
  assert.deepEqual([client.name, client.baseUrl], ['users', url]);
  try {
    await assert.rejects(client.request({ method: 'GET', path: '/users/1' }), (e: unknown) => {
      assert.ok(e instanceof UpstreamError);
      assert.deepEqual([e.status, e.failure, e.neverSent, e.message], [503, 'upstream_unavailable', true, 'users is unavailable']);
      return true;
    });
  } finally {
    await client.close();
  }
});

test('an answer that breaks the contract is a 502 naming the upstream, its status and what was wrong', () => {
  const e = unexpectedAnswer('products', 200, 'no price');
  assert.deepEqual([e.status, e.failure, e.upstream, e.upstreamStatus, e.message, e.neverSent], [502, 'upstream_error', 'products', 200, 'products answered 200 with no price', false]);
  assert.equal(new UpstreamError('x', 'upstream_unavailable', 'm').status, 503);
});

test('a reset connection is unavailable but may have been sent; a closed client refuses further calls', async () => {
  const reset = await failure('/reset');
  assert.deepEqual([reset.status, reset.failure, reset.neverSent], [503, 'upstream_unavailable', false], 'the request left: the upstream may have acted on it');
  const client = createUpstreamClient({ name: 'users', baseUrl: base, timeoutMs: 2000 });
  await client.close();
  await assert.rejects(client.request({ method: 'GET', path: '/no-type' }), UpstreamError);
});

test('a body that is not JSON is drained, so the one connection serves the next call', async () => {
  const client = createUpstreamClient({ name: 'products', baseUrl: base, timeoutMs: 1500, connections: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal((await client.request({ method: 'GET', path: '/text' })).status, 200);
      assert.equal((await client.request({ method: 'GET', path: '/no-type' })).status, 200);
    }
  } finally {
    await client.close();
  }
});

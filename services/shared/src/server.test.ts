import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request as httpRequest, Agent } from 'node:http';
import { testConfig } from './config.ts';
import { createLogger } from './logging.ts';
import { createRuntime, createServiceApp } from './service-app.ts';
import { startService } from './server.ts';

const quiet = { write: () => undefined };

function get(port: number, path: string, agent?: Agent): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

function setup(shutdownTimeoutMs: number) {
  const config = testConfig({ service: 'demo', shutdownTimeoutMs });
  const runtime = createRuntime(config, { logger: createLogger({ service: 'demo', sink: quiet }) });
  const app = createServiceApp(runtime);
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived: () => void = () => undefined;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  app.get('/slow', async (c) => {
    arrived();
    await released;
    return c.json({ done: true });
  });
  app.get('/fast', (c) => c.json({ ok: true }));
  return { runtime, app, release, slowArrived };
}

test('serves the app and the admin app on ephemeral ports with keep-alive above Envoy idle', async () => {
  const { runtime, app } = setup(5000);
  const running = await startService({ app, runtime });
  try {
    assert.ok(running.port > 0 && running.adminPort > 0 && running.port !== running.adminPort);
    const res = await get(running.port, '/fast');
    assert.equal(res.status, 200);
    const stats = await get(running.adminPort, '/admin/stats');
    assert.deepEqual(JSON.parse(stats.body), { requests: 1 });
    assert.equal((await get(running.adminPort, '/fast')).status, 404);
  } finally {
    assert.equal(await running.shutdown('test'), true);
  }
});

test('shutdown lets an in-flight request finish, closes keep-alive sockets and stops accepting', async () => {
  const { runtime, app, release, slowArrived } = setup(20_000);
  let closed = false;
  const running = await startService({ app, runtime, onClose: () => void (closed = true) });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    // An idle keep-alive socket, and one busy with a slow request.
    assert.equal((await get(running.port, '/fast', agent)).status, 200);
    const inFlight = get(running.port, '/slow', agent);
    await slowArrived;
    const shutdown = running.shutdown('SIGTERM');
    assert.equal(runtime.lifecycle.draining, true);
    release();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { done: true });
    assert.equal(res.connection, 'close');
    assert.equal(await shutdown, true);
    assert.equal(closed, true);
    await assert.rejects(get(running.port, '/fast'), /ECONNREFUSED/);
  } finally {
    release();
    agent.destroy();
  }
});

test('the hard deadline cuts a request that never finishes', async () => {
  const { runtime, app, release, slowArrived } = setup(200);
  const running = await startService({ app, runtime });
  try {
    const inFlight = get(running.port, '/slow').catch((error: Error) => error);
    await slowArrived;
    assert.equal(await running.shutdown('SIGTERM'), false);
    assert.ok((await inFlight) instanceof Error);
  } finally {
    release();
  }
});

test('a busy port is reported, not swallowed', async () => {
  const first = setup(1000);
  const running = await startService({ app: first.app, runtime: first.runtime });
  try {
    const second = setup(1000);
    const busy = { ...second.runtime, config: { ...second.runtime.config, port: running.port } };
    await assert.rejects(startService({ app: second.app, runtime: busy }), /EADDRINUSE/);
  } finally {
    await running.shutdown('test');
  }
});

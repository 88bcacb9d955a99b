import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createUpstreamClient, UpstreamError } from './upstream.ts';

let server: Server;
let base: string;
const seen: Array<Record<string, string | string[] | undefined>> = [];
/** The client-side port of each request's connection: the same port means the same socket. */
const ports: number[] = [];

function handle(req: IncomingMessage, res: ServerResponse) {
  seen.push(req.headers);
  ports.push(req.socket.remotePort ?? 0);
  switch (req.url) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"Laptop"}');
      return;
    case '/echo': {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(body));
      return;
    }
    case '/missing':
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"x"}}');
      return;
    case '/fail':
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal","message":"stack here"}}');
      return;
    case '/gateway-timeout':
      res.writeHead(504).end('upstream request timeout');
      return;
    case '/garbled':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":');
      return;
    case '/reset':
      req.socket.destroy();
      return;
    case '/hang':
      return; // never answers; closed by closeAllConnections in after()
    default:
      res.writeHead(404).end();
  }
}

before(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function expectFailure(promise: Promise<unknown>, status: number, code: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UpstreamError, String(error));
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    return true;
  });
}

test('a JSON answer is parsed, headers are sent, the socket is reused', async () => {
  const client = createUpstreamClient({ name: 'products', baseUrl: base, timeoutMs: 5000 });
  try {
    const first = await client.request({ method: 'GET', path: '/ok', headers: { 'x-request-id': 'r1', 'x-user-group': 'beta' } });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { name: 'Laptop' });
    assert.equal(seen.at(-1)!['x-request-id'], 'r1');
    assert.equal(seen.at(-1)!['x-user-group'], 'beta');
    const echoed = await client.request({ method: 'POST', path: '/echo', json: { a: 1 }, headers: { 'idempotency-key': 'k' } });
    assert.equal(echoed.status, 201);
    assert.deepEqual(echoed.body, { a: 1 });
    assert.equal(seen.at(-1)!['content-type'], 'application/json');
    assert.equal(seen.at(-1)!['idempotency-key'], 'k');
    assert.notEqual(seen.at(-1)!.connection, 'close');
    assert.equal(ports.at(-1), ports.at(-2), 'the second call went over the first call\'s socket');
  } finally {
    await client.close();
  }
});

test('4xx answers resolve so the caller decides', async () => {
  const client = createUpstreamClient({ name: 'products', baseUrl: base, timeoutMs: 5000 });
  try {
    const res = await client.request({ method: 'GET', path: '/missing' });
    assert.equal(res.status, 404);
  } finally {
    await client.close();
  }
});

test('failures map to 502, 503 and 504', async () => {
  const client = createUpstreamClient({ name: 'payments', baseUrl: base, timeoutMs: 300 });
  try {
    await expectFailure(client.request({ method: 'GET', path: '/fail' }), 502, 'upstream_error');
    await expectFailure(client.request({ method: 'GET', path: '/garbled' }), 502, 'upstream_error');
    await expectFailure(client.request({ method: 'GET', path: '/gateway-timeout' }), 504, 'upstream_timeout');
    await expectFailure(client.request({ method: 'GET', path: '/reset' }), 503, 'upstream_unavailable');
    await expectFailure(client.request({ method: 'GET', path: '/hang' }), 504, 'upstream_timeout');
  } finally {
    await client.close();
  }
});

test('a refused connection is 503', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const client = createUpstreamClient({ name: 'users', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
  try {
    await expectFailure(client.request({ method: 'GET', path: '/users/1' }), 503, 'upstream_unavailable');
  } finally {
    await client.close();
  }
});

test('the failure message names the upstream and never its body', async () => {
  const client = createUpstreamClient({ name: 'payments', baseUrl: base, timeoutMs: 5000 });
  try {
    await assert.rejects(client.request({ method: 'GET', path: '/fail' }), (error: Error) => {
      assert.match(error.message, /payments/);
      assert.doesNotMatch(error.message, /stack here/);
      return true;
    });
  } finally {
    await client.close();
  }
});

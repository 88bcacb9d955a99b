// The identity headers a service's server adds as it writes the head: every way Node lets a handler
// write one, and never over a value the handler chose. A real server on 127.0.0.1.
import assert from 'node:assert/strict';
import { createServer, request, ServerResponse, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { identityResponse, sendsIdentity } from './identity-response.ts';

const IDENTITY = { 'x-service': 'products', 'x-service-version': 'v2', 'X-Pod': 'products-v2-abc' };
let server: Server;
let port: number;

const handlers: Record<string, (res: ServerResponse) => void> = {
  '/object': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
  '/message': (res) => res.writeHead(201, 'Made', { 'content-type': 'text/plain' }).end('made'),
  '/implicit': (res) => res.end('no writeHead'),
  '/raw-array': (res) => res.writeHead(200, ['content-type', 'text/plain']).end('raw'),
  '/bare': (res) => res.writeHead(204).end(),
  '/own-in-object': (res) => res.writeHead(200, { 'x-service': 'proxy', 'content-type': 'text/plain' }).end('own'),
  '/own-set-before': (res) => {
    res.setHeader('x-service-version', 'canary');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('own');
  },
};

before(async () => {
  server = createServer({ ServerResponse: identityResponse(IDENTITY) }, (req, res) => {
    assert.ok(sendsIdentity(res), 'the subclass says it sends the identity');
    (handlers[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function get(path: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const identityOf = (h: IncomingHttpHeaders) => [h['x-service'], h['x-service-version'], h['x-pod']];

test('every way of writing the head carries the identity: a header object, a status message, none, a raw array, an implicit head', async () => {
  for (const path of ['/object', '/message', '/implicit', '/raw-array', '/bare', '/missing']) {
    const { status, headers } = await get(path);
    assert.deepEqual(identityOf(headers), ['products', 'v2', 'products-v2-abc'], `${path} (${status})`);
  }
  const message = await get('/message');
  assert.deepEqual([message.status, message.headers['content-type']], [201, 'text/plain'], 'the handler\'s own status and headers stay');
});

test('a value the handler chose is kept, whether in the head\'s headers or set before', async () => {
  assert.deepEqual(identityOf((await get('/own-in-object')).headers), ['proxy', 'v2', 'products-v2-abc']);
  assert.deepEqual(identityOf((await get('/own-set-before')).headers), ['products', 'canary', 'products-v2-abc']);
});

test('a plain ServerResponse does not claim to send the identity', () => {
  assert.equal(sendsIdentity(undefined), false);
  assert.equal(sendsIdentity(Object.create(ServerResponse.prototype) as ServerResponse), false);
});

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createUpstreamClient, UpstreamError, type UpstreamClient } from '../../../shared/src/upstream.ts';
import { createNotificationsApi } from './notifications.ts';
import { ChargeNotMade, createPaymentsApi } from './payments.ts';
import { createProductsApi } from './products.ts';
import { createUsersApi } from './users.ts';

let server: Server;
let client: UpstreamClient;
const received: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ url: req.url!, headers: req.headers, body });
      if (req.url === '/users/1') return json(res, 200, { id: 1, name: 'Alice', email: 'a@x' });
      if (req.url === '/users/7') return json(res, 200, { unexpected: true });
      if (req.url === '/products/101') return json(res, 200, { id: 101, name: 'Laptop', priceCents: 129900, currency: 'EUR' });
      if (req.url === '/products/102') return json(res, 200, { id: 102, name: 'Sale', priceCents: 1000, salePriceCents: 850, currency: 'EUR' });
      if (req.url === '/products/103') return json(res, 200, { id: 103, name: 'Dollar', priceCents: 1000, currency: 'USD' });
      if (req.url === '/products/104') return json(res, 200, { id: 104, name: 'NoCurrency', priceCents: 1000 });
      if (req.url?.startsWith('/payments?order=6001')) return json(res, 200, { charges: [{ id: 'ch_9', status: 'succeeded', idempotencyKey: 'k-1' }], next_cursor: null });
      if (req.url === '/payments') {
        const key = req.headers['idempotency-key'];
        if (key === 'conflict') return json(res, 409, { error: { code: 'idempotency_key_reused', message: 'x' } });
        if (key === 'down') return json(res, 503, { error: { code: 'injected_error', message: 'x' } });
        if (key === 'late') return res.writeHead(504, { 'content-type': 'application/json', 'x-service': 'payments' }).end(JSON.stringify({ error: { code: 'deadline_exceeded', message: 'x' } }));
        if (key === 'refused') return json(res, 401, { error: { code: 'service_token_required', message: 'x' } });
        return json(res, 201, { id: 'ch_1', status: 'succeeded' });
      }
      if (req.url === '/notifications') return json(res, 201, { id: 'n_1' });
      return json(res, 404, { error: { code: 'not_found', message: 'x' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = createUpstreamClient({ name: 'fake', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 5000 });
});

after(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('users: found, 404 as undefined, malformed as 502', async () => {
  const users = createUsersApi(client);
  assert.deepEqual(await users.getUser(1, { 'x-request-id': 'r' }), { id: 1, name: 'Alice' });
  assert.equal(received.at(-1)!.headers['x-request-id'], 'r');
  assert.equal(await users.getUser(2, {}), undefined);
  await assert.rejects(users.getUser(7, {}), (e: unknown) => e instanceof UpstreamError && e.status === 502);
});

test('products: the unit price is the sale price when lower; a currency other than EUR is a 502', async () => {
  const products = createProductsApi(client);
  assert.deepEqual(await products.getProduct(101, {}), { id: 101, name: 'Laptop', priceCents: 129900, unitPriceCents: 129900, currency: 'EUR' });
  assert.equal((await products.getProduct(102, {}))?.unitPriceCents, 850);
  for (const id of [103, 104]) await assert.rejects(products.getProduct(id, {}), (e: unknown) => e instanceof UpstreamError && e.status === 502);
  assert.equal(await products.getProduct(999, {}), undefined);
});

test('payments: sends key, deadline, service token and body; maps 409, refusals and 5xx', async () => {
  const payments = createPaymentsApi(client, 'service-token-for-tests');
  const request = { orderId: '6001', userId: 1, amountCents: 100, currency: 'EUR' as const };
  const deadline = Date.now() + 3000;
  const opts = (key: string) => ({ idempotencyKey: key, deadline, headers: {} });
  assert.deepEqual(await payments.charge(request, { idempotencyKey: 'k-1', deadline, headers: { 'x-request-id': 'r2' } }), { id: 'ch_1', status: 'succeeded' });
  const sent = received.at(-1)!;
  assert.equal(sent.headers['idempotency-key'], 'k-1');
  assert.equal(sent.headers['x-request-id'], 'r2');
  assert.equal(sent.headers['x-shopmesh-deadline'], String(deadline));
  assert.equal(sent.headers.authorization, 'Bearer service-token-for-tests');
  assert.deepEqual(JSON.parse(sent.body), request);
  await assert.rejects(payments.charge(request, opts('conflict')), (e: { status?: number }) => e.status === 409);
  await assert.rejects(payments.charge(request, opts('down')), (e: unknown) => e instanceof UpstreamError && e.status === 502);
  await assert.rejects(payments.charge(request, opts('late')), (e: unknown) => e instanceof ChargeNotMade);
  await assert.rejects(payments.charge(request, opts('refused')), (e: unknown) => e instanceof ChargeNotMade);
  assert.deepEqual(await payments.findCharge('6001', 'k-1', {}), { id: 'ch_9', status: 'succeeded' });
  assert.equal(await payments.findCharge('6001', 'other', {}), undefined);
});

test('payments: a refused connection means the charge was never sent', async () => {
  const closed = createUpstreamClient({ name: 'payments', baseUrl: 'http://127.0.0.1:9', timeoutMs: 2000 });
  try {
    const payments = createPaymentsApi(closed, 'service-token-for-tests');
    await assert.rejects(payments.charge({ orderId: '1', userId: 1, amountCents: 1, currency: 'EUR' }, { idempotencyKey: 'x', deadline: Date.now() + 2000, headers: {} }), (e: unknown) => e instanceof ChargeNotMade);
  } finally {
    await closed.close();
  }
});

test('notifications: posts the message as email', async () => {
  await createNotificationsApi(client).notify({ orderId: '6001', userId: 1, message: 'hi' }, {});
  assert.deepEqual(JSON.parse(received.at(-1)!.body), { orderId: '6001', userId: 1, message: 'hi', channel: 'email' });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../shared/src/errors.ts';
import type { ForwardHeaders } from '../../shared/src/propagation.ts';
import { jsonInit, testRuntime } from '../../shared/src/testing.ts';
import { UpstreamError } from '../../shared/src/upstream.ts';
import { createApp } from './app.ts';
import type { ChargeRequest } from './upstream/payments.ts';

type Body = Record<string, unknown> & { error?: { code: string } };

function fakes() {
  const calls = { users: [] as ForwardHeaders[], products: [] as ForwardHeaders[], charges: [] as Array<{ request: ChargeRequest; key: string }>, notes: 0 };
  const state = { paymentsFailure: undefined as Error | undefined, notificationsDown: false, chargeGate: Promise.resolve() };
  const users = {
    async getUser(id: number, headers: ForwardHeaders) {
      calls.users.push(headers);
      return id === 1 ? { id: 1, name: 'Alice' } : undefined;
    },
  };
  const products = {
    async getProduct(id: number, headers: ForwardHeaders) {
      calls.products.push(headers);
      return id === 101 ? { id: 101, name: 'Laptop', priceCents: 129900 } : undefined;
    },
  };
  const charged = new Map<string, string>();
  const payments = {
    async charge(request: ChargeRequest, key: string) {
      await state.chargeGate;
      if (state.paymentsFailure) throw state.paymentsFailure;
      calls.charges.push({ request, key });
      if (!charged.has(key)) charged.set(key, `ch_${charged.size + 1}`);
      return { id: charged.get(key)!, status: 'succeeded' };
    },
  };
  const notifications = {
    async notify() {
      calls.notes++;
      if (state.notificationsDown) throw new UpstreamError('notifications', 'upstream_unavailable', 'notifications is unavailable');
    },
  };
  const app = createApp({ runtime: testRuntime({ service: 'orders' }), users, products, payments, notifications, now: () => new Date('2026-03-01T12:00:00Z') });
  return { app, calls, state };
}

const order = { userId: 1, productId: 101, quantity: 2 };
const place = (app: ReturnType<typeof fakes>['app'], body: unknown, key?: string, extra: Record<string, string> = {}) =>
  app.request('/orders', jsonInit('POST', body, key === undefined ? extra : { 'idempotency-key': key, ...extra }));

test('GET /orders/5001 contains the reference body, with user and product fetched live', async () => {
  const { app, calls } = fakes();
  const res = await app.request('/orders/5001', { headers: { 'x-request-id': 'r-5001', 'x-user-group': 'beta' } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as Body;
  assert.equal(body.order_id, '5001');
  assert.equal((body.user as { name: string }).name, 'Alice');
  assert.equal((body.product as { name: string }).name, 'Laptop');
  assert.equal(calls.users.length, 1);
  assert.equal(calls.products.length, 1);
  assert.equal(calls.users[0]!['x-request-id'], 'r-5001');
  assert.equal(calls.products[0]!['x-user-group'], 'beta');
});

test('GET /orders/:id: 400 for a bad id, 404 for an unknown one', async () => {
  const { app } = fakes();
  assert.equal((await app.request('/orders/abc')).status, 400);
  const missing = await app.request('/orders/999');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as Body).error?.code, 'order_not_found');
});

test('POST /orders charges with the same key, notifies, and lists the order', async () => {
  const { app, calls } = fakes();
  const res = await place(app, order, 'checkout-1');
  assert.equal(res.status, 201);
  const body = (await res.json()) as Body;
  assert.equal(body.total_cents, 259800);
  assert.equal(body.status, 'paid');
  assert.equal(body.payment_id, 'ch_1');
  assert.deepEqual(calls.charges, [{ request: { orderId: body.order_id, userId: 1, amountCents: 259800, currency: 'EUR' }, key: 'checkout-1' }]);
  assert.equal(calls.notes, 1);
  const list = (await (await app.request('/orders')).json()) as { orders: Body[] };
  assert.deepEqual(list.orders.map((o) => o.order_id), ['5001', body.order_id]);
  const mine = (await (await app.request('/orders?user=2')).json()) as { orders: Body[] };
  assert.equal(mine.orders.length, 0);
  const fetched = (await (await app.request(`/orders/${String(body.order_id)}`)).json()) as Body;
  assert.equal(fetched.quantity, 2);
});

test('retries and concurrent duplicates of one key give one order and one charge', async () => {
  const { app, calls, state } = fakes();
  let release: () => void = () => undefined;
  state.chargeGate = new Promise<void>((resolve) => (release = resolve));
  const concurrent = Array.from({ length: 5 }, () => place(app, order, 'dup'));
  release();
  const results = await Promise.all([...concurrent]);
  for (let i = 0; i < 5; i++) results.push(await place(app, order, 'dup'));
  const ids = new Set<unknown>();
  for (const res of results) {
    assert.equal(res.status, 201);
    ids.add(((await res.json()) as Body).order_id);
  }
  assert.equal(ids.size, 1);
  assert.equal(calls.charges.length, 1);
  assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 9);
  assert.equal(((await (await app.request('/orders')).json()) as { orders: Body[] }).orders.length, 2);
  const conflict = await place(app, { ...order, quantity: 3 }, 'dup');
  assert.equal(conflict.status, 409);
});

test('a failing notifications service does not fail the order', async () => {
  const { app, calls, state } = fakes();
  state.notificationsDown = true;
  const res = await place(app, order, 'quiet');
  assert.equal(res.status, 201);
  assert.equal(calls.notes, 1);
});

test('payments failures answer cleanly, and a retry after recovery reuses the order id and key', async () => {
  const { app, calls, state } = fakes();
  for (const [failure, status] of [
    [new UpstreamError('payments', 'upstream_unavailable', 'payments is unavailable'), 503],
    [new UpstreamError('payments', 'upstream_timeout', 'payments did not answer'), 504],
    [new UpstreamError('payments', 'upstream_error', 'payments answered 500'), 502],
    [new HttpError(409, 'payment_conflict', 'x'), 409],
  ] as const) {
    state.paymentsFailure = failure;
    const res = await place(app, order, 'flaky');
    assert.equal(res.status, status);
    const body = (await res.json()) as Body;
    assert.equal(body.error?.code, failure.code);
  }
  state.paymentsFailure = undefined;
  const ok = await place(app, order, 'flaky');
  assert.equal(ok.status, 201);
  const placed = (await ok.json()) as Body;
  assert.equal(calls.charges.length, 1);
  assert.equal(calls.charges[0]!.request.orderId, placed.order_id);
  assert.equal(((await (await app.request('/orders')).json()) as { orders: Body[] }).orders.length, 2);
});

test('malformed orders get only 4xx and place nothing', async () => {
  const { app, calls } = fakes();
  const cases: Array<[unknown, string | undefined, number, string]> = [
    [order, undefined, 400, 'missing_idempotency_key'],
    ['{"userId":1,', 'k1', 400, 'invalid_json'],
    [{ ...order, quantity: -1 }, 'k2', 400, 'invalid_body'],
    [{ ...order, quantity: 0 }, 'k3', 400, 'invalid_body'],
    [{ ...order, quantity: 11 }, 'k4', 400, 'invalid_body'],
    [{ ...order, quantity: '2' }, 'k5', 400, 'invalid_body'],
    [{ ...order, userId: 1.5 }, 'k6', 400, 'invalid_body'],
    [{ ...order, coupon: 'FREE' }, 'k7', 400, 'invalid_body'],
    ['{"userId":1,"productId":101,"quantity":1,"__proto__":{"isAdmin":true}}', 'k8', 400, 'forbidden_key'],
    [{ ...order, userId: 'Ålice 🙂' }, 'k9', 400, 'invalid_body'],
    [{ ...order, note: 'x'.repeat(50_000) }, 'k10', 413, 'payload_too_large'],
    [{ ...order, userId: 2 }, 'k11', 400, 'unknown_user'],
    [{ ...order, productId: 999 }, 'k12', 400, 'unknown_product'],
    [[order], 'k13', 400, 'invalid_body'],
  ];
  for (const [body, key, status, code] of cases) {
    const res = await place(app, body, key);
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 60));
    assert.equal(((await res.json()) as Body).error?.code, code);
  }
  const text = await app.request('/orders', { method: 'POST', body: JSON.stringify(order), headers: { 'content-type': 'text/plain', 'idempotency-key': 'k14' } });
  assert.equal(text.status, 415);
  assert.equal(calls.charges.length, 0);
  assert.equal(((await (await app.request('/orders')).json()) as { orders: Body[] }).orders.length, 1);
  assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
});

test('upstream failures on GET /orders/:id are clean 5xx JSON', async () => {
  const { app } = fakes();
  const failing = createApp({
    runtime: testRuntime({ service: 'orders' }),
    users: { getUser: async () => Promise.reject(new UpstreamError('users', 'upstream_timeout', 'users did not answer within 2000 ms')) },
    products: { getProduct: async () => ({ id: 101, name: 'Laptop', priceCents: 1 }) },
    payments: { charge: async () => ({ id: 'x', status: 'succeeded' }) },
    notifications: { notify: async () => undefined },
  });
  const res = await failing.request('/orders/5001');
  assert.equal(res.status, 504);
  assert.deepEqual(await res.json(), { error: { code: 'upstream_timeout', message: 'users did not answer within 2000 ms' } });
  assert.equal((await app.request('/orders/5001')).status, 200);
});

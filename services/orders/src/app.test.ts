import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { HttpError } from '../../shared/src/errors.ts';
import type { ForwardHeaders } from '../../shared/src/propagation.ts';
import { jsonInit, testRuntime } from '../../shared/src/testing.ts';
import { UpstreamError } from '../../shared/src/upstream.ts';
import { createUserTokenVerifier } from '../../shared/src/user-tokens.ts';
import { AUDIENCE, createTestSigner, forgedTokens, ISSUER, signToken, type TestSigner } from '../../../test/support/tokens.ts';
import { createOrders } from './app.ts';
import { ChargeNotMade, type ChargeOptions, type ChargeRequest } from './upstream/payments.ts';

type Body = Record<string, unknown> & { error?: { code: string; unit_price_cents?: number } };

let signer: TestSigner;
let alice: string;
let bob: string;
before(async () => {
  signer = await createTestSigner();
  alice = await signToken(signer, { sub: '1', name: 'Alice' });
  bob = await signToken(signer, { sub: '2', name: 'Bob' });
});

function fakes(options: { price?: number } = {}) {
  const calls = { users: [] as ForwardHeaders[], products: [] as ForwardHeaders[], charges: [] as Array<{ request: ChargeRequest; options: ChargeOptions }>, notes: 0 };
  const state = { paymentsFailure: undefined as Error | undefined, notificationsDown: false, chargeGate: Promise.resolve(), price: options.price ?? 129900, currencyBroken: false };
  const users = {
    async getUser(id: number, headers: ForwardHeaders) {
      calls.users.push(headers);
      return id === 1 ? { id: 1, name: 'Alice' } : id === 2 ? { id: 2, name: 'Bob' } : undefined;
    },
  };
  const products = {
    async getProduct(id: number, headers: ForwardHeaders) {
      calls.products.push(headers);
      return id === 101 ? { id: 101, name: 'Laptop', priceCents: 129900, unitPriceCents: state.price, currency: 'EUR' as const } : undefined;
    },
  };
  const ledger = new Map<string, { id: string; status: string; orderId: string }>();
  const payments = {
    async charge(request: ChargeRequest, chargeOptions: ChargeOptions) {
      await state.chargeGate;
      if (state.paymentsFailure) throw state.paymentsFailure;
      calls.charges.push({ request, options: chargeOptions });
      if (!ledger.has(chargeOptions.idempotencyKey)) ledger.set(chargeOptions.idempotencyKey, { id: `ch_${ledger.size + 1}`, status: 'succeeded', orderId: request.orderId });
      return ledger.get(chargeOptions.idempotencyKey)!;
    },
    async findCharge(orderId: string, key: string) {
      const charge = ledger.get(key);
      return charge?.orderId === orderId ? charge : undefined;
    },
  };
  const notifications = {
    async notify() {
      calls.notes++;
      if (state.notificationsDown) throw new UpstreamError('notifications', 'upstream_unavailable', 'notifications is unavailable');
    },
  };
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const verifier = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: signer.localKeys });
  const orders = createOrders({ runtime: testRuntime({ service: 'orders' }), users, products, payments, notifications, verifier, now: () => new Date(clock) });
  const advance = (ms: number) => (clock += ms);
  return { ...orders, calls, state, ledger, advance };
}

const order = { productId: 101, quantity: 2, unitPriceCents: 129900 };
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const place = (app: ReturnType<typeof fakes>['app'], body: unknown, key?: string, token: string | undefined = alice) =>
  app.request('/orders', jsonInit('POST', body, { ...(key === undefined ? {} : { 'idempotency-key': key }), ...(token ? as(token) : {}) }));

test('GET /orders/5001 is the public demo record, with user and product fetched live', async () => {
  const { app, calls } = fakes();
  const res = await app.request('/orders/5001', { headers: { 'x-request-id': 'r-5001', 'x-user-group': 'beta' } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as Body;
  assert.equal(body.order_id, '5001');
  assert.equal((body.user as { name: string }).name, 'Alice');
  assert.equal((body.product as { name: string }).name, 'Laptop');
  assert.equal(calls.users[0]!['x-request-id'], 'r-5001');
  assert.equal(calls.products[0]!['x-user-group'], 'beta');
});

test('every other order is shown to its owner only; bad and unknown ids are 400 and 404', async () => {
  const { app } = fakes();
  const placed = (await (await place(app, order, 'own')).json()) as Body;
  const path = `/orders/${String(placed.order_id)}`;
  assert.equal((await app.request(path)).status, 401);
  assert.equal((await app.request(path, { headers: as(bob) })).status, 404);
  assert.equal((await app.request(path, { headers: as(alice) })).status, 200);
  assert.equal((await app.request('/orders/abc', { headers: as(alice) })).status, 400);
  assert.equal(((await (await app.request('/orders/999', { headers: as(alice) })).json()) as Body).error?.code, 'order_not_found');
});

test('POST /orders charges the confirmed price with the same key and a deadline, notifies, and lists only the token user\'s orders', async () => {
  const { app, calls } = fakes();
  const res = await place(app, order, 'checkout-1');
  assert.equal(res.status, 201);
  const body = (await res.json()) as Body;
  assert.equal(body.total_cents, 259800);
  assert.equal(body.currency, 'EUR');
  assert.equal(body.status, 'paid');
  assert.equal(body.payment_id, 'ch_1');
  assert.equal(calls.charges.length, 1);
  assert.deepEqual(calls.charges[0]!.request, { orderId: body.order_id, userId: 1, amountCents: 259800, currency: 'EUR' });
  assert.equal(calls.charges[0]!.options.idempotencyKey, 'checkout-1');
  assert.equal(calls.charges[0]!.options.deadline, Date.parse('2026-03-01T12:00:00Z') + 2000 - 100);
  assert.equal(calls.notes, 1);
  const mine = (await (await app.request('/orders', { headers: as(alice) })).json()) as { orders: Body[]; next_cursor: string | null };
  assert.deepEqual(mine.orders.map((o) => o.order_id), ['5001', body.order_id]);
  const bobs = (await (await app.request('/orders', { headers: as(bob) })).json()) as { orders: Body[] };
  assert.equal(bobs.orders.length, 0);
  assert.equal((await app.request('/orders')).status, 401);
});

test('a token for user 1 cannot act for user 2: body and query naming another user are 403', async () => {
  const { app, calls } = fakes();
  const res = await place(app, { ...order, userId: 2 }, 'for-bob');
  assert.equal(res.status, 403);
  assert.equal((await app.request('/orders?user=2', { headers: as(alice) })).status, 403);
  assert.equal((await app.request('/orders?user=1', { headers: as(alice) })).status, 200);
  assert.equal(calls.charges.length, 0);
  assert.equal((await place(app, { ...order, userId: 1 }, 'for-me')).status, 201);
});

test('forged tokens are all 401, on the list and on placing an order', async () => {
  const { app, calls } = fakes();
  for (const [name, token] of Object.entries(await forgedTokens(signer))) {
    assert.equal((await app.request('/orders', { headers: as(token) })).status, 401, name);
    assert.equal((await place(app, order, `forged-${name.replaceAll(' ', '-')}`, token)).status, 401, name);
  }
  assert.equal((await app.request('/orders', { headers: { authorization: 'Basic YWxpY2U6' } })).status, 401);
  assert.equal(calls.charges.length, 0);
});

test('the quoted unit price must be today\'s: otherwise 409 price_changed with the new price, and nothing is written or charged', async () => {
  const { app, calls, store } = fakes({ price: 110415 });
  const res = await place(app, order, 'quoted-list-price');
  assert.equal(res.status, 409);
  const body = (await res.json()) as Body;
  assert.equal(body.error?.code, 'price_changed');
  assert.equal(body.error?.unit_price_cents, 110415);
  assert.equal(calls.charges.length, 0);
  assert.equal(store.count(), 1);
  const confirmed = await place(app, { ...order, unitPriceCents: 110415 }, 'quoted-sale-price');
  assert.equal(confirmed.status, 201);
  assert.equal(((await confirmed.json()) as Body).total_cents, 220830);
});

test('retries and concurrent duplicates of one key give one order and one charge', async () => {
  const { app, calls, state } = fakes();
  let release: () => void = () => undefined;
  state.chargeGate = new Promise<void>((resolve) => (release = resolve));
  const concurrent = Array.from({ length: 5 }, () => place(app, order, 'dup'));
  release();
  const results = await Promise.all(concurrent);
  for (let i = 0; i < 5; i++) results.push(await place(app, order, 'dup'));
  const ids = new Set<unknown>();
  for (const res of results) {
    assert.equal(res.status, 201);
    ids.add(((await res.json()) as Body).order_id);
  }
  assert.equal(ids.size, 1);
  assert.equal(calls.charges.length, 1);
  assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 9);
  assert.equal((await place(app, { ...order, quantity: 3 }, 'dup')).status, 409);
  assert.equal((await place(app, order, 'dup', bob)).status, 409, 'another user cannot replay the key');
});

test('a failing notifications service does not fail the order', async () => {
  const { app, calls, state } = fakes();
  state.notificationsDown = true;
  assert.equal((await place(app, order, 'quiet')).status, 201);
  assert.equal(calls.notes, 1);
});

test('payments failures: "not made" is 503 payment_not_made, an unknown outcome 502/504 payment_unconfirmed; the order waits as pending and a retry completes it', async () => {
  const { app, calls, state, store } = fakes();
  for (const [failure, status, code] of [
    [new ChargeNotMade('payments could not be reached'), 503, 'payment_not_made'],
    [new UpstreamError('payments', 'upstream_timeout', 'payments did not answer'), 504, 'payment_unconfirmed'],
    [new UpstreamError('payments', 'upstream_error', 'payments answered 503'), 502, 'payment_unconfirmed'],
    [new UpstreamError('payments', 'upstream_unavailable', 'reset'), 502, 'payment_unconfirmed'],
    [new HttpError(409, 'payment_conflict', 'x'), 409, 'payment_conflict'],
  ] as const) {
    state.paymentsFailure = failure;
    const res = await place(app, order, 'flaky');
    assert.equal(res.status, status, code);
    assert.equal(((await res.json()) as Body).error?.code, code);
  }
  const pending = store.findByKey('flaky')!.order;
  assert.equal(pending.status, 'pending');
  state.paymentsFailure = undefined;
  const ok = await place(app, order, 'flaky');
  assert.equal(ok.status, 201);
  const placed = (await ok.json()) as Body;
  assert.equal(placed.order_id, pending.order_id);
  assert.equal(placed.status, 'paid');
  assert.equal(calls.charges.length, 1);
});

test('the reconciler settles pending orders past their deadline: paid when payments holds the charge, cancelled otherwise; a cancelled key answers 409 order_cancelled', async () => {
  const { app, state, placement, store, advance, ledger } = fakes();
  state.paymentsFailure = new UpstreamError('payments', 'upstream_timeout', 'lost');
  assert.equal((await place(app, order, 'lost-answer')).status, 504);
  assert.equal((await place(app, order, 'never-charged')).status, 504);
  // payments did record the first charge before its answer was lost
  const lost = store.findByKey('lost-answer')!.order;
  ledger.set('lost-answer', { id: 'ch_lost', status: 'succeeded', orderId: lost.order_id });
  assert.deepEqual(await placement.reconcile(2000), { paid: 0, cancelled: 0 }, 'nothing before the deadline and grace');
  advance(5000);
  state.paymentsFailure = undefined;
  assert.deepEqual(await placement.reconcile(2000), { paid: 1, cancelled: 1 });
  assert.equal(store.get(lost.order_id)?.payment_id, 'ch_lost');
  const replay = await place(app, order, 'lost-answer');
  assert.equal(replay.status, 201);
  const cancelled = await place(app, order, 'never-charged');
  assert.equal(cancelled.status, 409);
  assert.equal(((await cancelled.json()) as Body).error?.code, 'order_cancelled');
});

test('lists page with limit ≤ 100 and a cursor', async () => {
  const { app } = fakes();
  for (let i = 0; i < 4; i++) await place(app, order, `page-${i}`);
  const first = (await (await app.request('/orders?limit=2', { headers: as(alice) })).json()) as { orders: Body[]; next_cursor: string };
  assert.equal(first.orders.length, 2);
  const rest = (await (await app.request(`/orders?limit=100&cursor=${first.next_cursor}`, { headers: as(alice) })).json()) as { orders: Body[]; next_cursor: string | null };
  assert.equal(rest.orders.length, 3);
  assert.equal(rest.next_cursor, null);
  assert.equal((await app.request('/orders?limit=101', { headers: as(alice) })).status, 400);
});

test('malformed orders get only 4xx and place nothing', async () => {
  const { app, calls, store } = fakes();
  const cases: Array<[unknown, string | undefined, number, string]> = [
    [order, undefined, 400, 'missing_idempotency_key'],
    ['{"productId":101,', 'k1', 400, 'invalid_json'],
    [{ ...order, quantity: -1 }, 'k2', 400, 'invalid_body'],
    [{ ...order, quantity: 0 }, 'k3', 400, 'invalid_body'],
    [{ ...order, quantity: 11 }, 'k4', 400, 'invalid_body'],
    [{ ...order, quantity: '2' }, 'k5', 400, 'invalid_body'],
    [{ ...order, userId: 1.5 }, 'k6', 400, 'invalid_body'],
    [{ ...order, coupon: 'FREE' }, 'k7', 400, 'invalid_body'],
    ['{"productId":101,"quantity":1,"unitPriceCents":1,"__proto__":{"isAdmin":true}}', 'k8', 400, 'forbidden_key'],
    [{ ...order, unitPriceCents: 1.5 }, 'k9', 400, 'invalid_body'],
    [{ productId: 101, quantity: 1 }, 'k9b', 400, 'invalid_body'],
    [{ ...order, note: 'x'.repeat(50_000) }, 'k10', 413, 'payload_too_large'],
    [{ ...order, productId: 999 }, 'k12', 400, 'unknown_product'],
    [[order], 'k13', 400, 'invalid_body'],
  ];
  for (const [body, key, status, code] of cases) {
    const res = await place(app, body, key);
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 60));
    assert.equal(((await res.json()) as Body).error?.code, code);
  }
  const text = await app.request('/orders', { method: 'POST', body: JSON.stringify(order), headers: { 'content-type': 'text/plain', 'idempotency-key': 'k14', ...as(alice) } });
  assert.equal(text.status, 415);
  assert.equal(calls.charges.length, 0);
  assert.equal(store.count(), 1);
});

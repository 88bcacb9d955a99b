// State that survives: SIGKILL and restart of orders and payments in the middle of checkouts, payments
// slower than orders' deadline, and the 100,001st idempotency key. Proved through the services' own
// answers and ledger, on real processes with their SQLite files in the harness's data directory.
// Four shops of five processes, with kills and restarts: about 40 s on two cores, the price of proving durability on real processes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, transaction } from '../shared/src/database.ts';
import { createIdempotencyKeys } from '../shared/src/idempotency.ts';
import { startShop, type Shop } from '../../test/support/harness.ts';
import { call, type CallResult } from '../../test/support/http.ts';
import { bearer, LAPTOP, ledger, orderIdOf, placeOrder, tokenFor } from './support.ts';

const BACKEND = ['users', 'products', 'payments', 'notifications', 'orders'];
const ORDER = { ...LAPTOP, quantity: 1 };

const codeOf = (res: CallResult) => (res.json as { error?: { code?: string } } | undefined)?.error?.code;

/** Retries one key until orders answers 201 (bounded), as a shopper pressing the button again would. */
async function completeWithSameKey(shop: Shop, key: string, auth: Record<string, string>): Promise<CallResult> {
  let last: CallResult | undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    last = await placeOrder(shop.urls.orders!, key, ORDER, auth);
    if (last.status === 201) return last;
    await sleep(250);
  }
  throw new Error(`key ${key} never completed: ${last?.status} ${last?.text}`);
}

/** Every order has exactly one charge, and no charge id belongs to two orders. */
async function assertOneChargePerOrder(shop: Shop, orderIds: readonly string[]): Promise<void> {
  const owners = new Map<string, string>();
  for (const id of orderIds) {
    const charges = await ledger(shop.urls.payments!, id);
    assert.equal(charges.length, 1, `order ${id} has ${charges.length} charges: ${JSON.stringify(charges)}`);
    const chargeId = String(charges[0]!.id);
    assert.equal(owners.get(chargeId), undefined, `charge ${chargeId} belongs to orders ${owners.get(chargeId)} and ${id}`);
    owners.set(chargeId, id);
  }
}

test('SIGKILL of payments during checkouts: the ledger is intact, "not made" answers charged nothing, and a retry with the same key completes each order once', async (t) => {
  const shop = await startShop({ services: BACKEND, env: { UPSTREAM_TIMEOUT_MS: '1500' }, serviceEnv: { payments: { LATENCY_MS: '300' } } });
  t.after(() => shop.stop());
  const auth = bearer(await tokenFor(shop.urls.users!));
  const before = [randomUUID(), randomUUID()];
  const paidBefore = [];
  for (const key of before) {
    const res = await placeOrder(shop.urls.orders!, key, ORDER, auth);
    assert.equal(res.status, 201, res.text);
    paidBefore.push({ id: orderIdOf(res), payment: String((res.json as { payment_id: string }).payment_id) });
  }
  // Six checkouts in flight when payments is killed, then three while it is down.
  const during = Array.from({ length: 6 }, () => randomUUID());
  const inFlight = during.map((key) => placeOrder(shop.urls.orders!, key, ORDER, auth));
  await sleep(150);
  await shop.kill('payments', 'SIGKILL');
  const whileDown = Array.from({ length: 3 }, () => randomUUID());
  const downAnswers = [];
  for (const key of whileDown) downAnswers.push(await placeOrder(shop.urls.orders!, key, ORDER, auth));
  const cut = await Promise.all(inFlight);
  for (const r of cut) {
    assert.ok([201, 502, 504].includes(r.status), `an order cut by the kill answered ${r.status}: ${r.text}`);
    if (r.status !== 201) assert.equal(codeOf(r), 'payment_unconfirmed', 'a cut charge is never called "not made"');
  }
  for (const r of downAnswers) {
    assert.equal(r.status, 503, r.text);
    assert.equal(codeOf(r), 'payment_not_made');
  }

  await shop.restart('payments');
  for (const paid of paidBefore) {
    const charges = await ledger(shop.urls.payments!, paid.id);
    assert.deepEqual(charges.map((c) => c.id), [paid.payment], `the charge of order ${paid.id} survived the SIGKILL`);
  }
  // The three orders placed while payments was down are the newest, pending, and hold no charge: "not made" was true.
  const list = (await call(`${shop.urls.orders}/orders?limit=100`, { headers: auth })).json as { orders: Array<{ order_id: string; status: string }> };
  const newest = list.orders.slice(-3);
  for (const o of newest) {
    assert.equal(o.status, 'pending');
    assert.equal((await ledger(shop.urls.payments!, o.order_id)).length, 0, `order ${o.order_id} was answered "not made" and holds no charge`);
  }
  const keys = [...before, ...during, ...whileDown];
  const ids = [];
  for (const key of keys) ids.push(orderIdOf(await completeWithSameKey(shop, key, auth)));
  assert.equal(new Set(ids).size, keys.length, 'one order per key');
  await assertOneChargePerOrder(shop, ids);
});

test('SIGKILL and SIGTERM restarts of orders during checkouts: ids never repeat, one charge per order, and a retry with the same key and body replays', async (t) => {
  const shop = await startShop({ services: BACKEND, env: { UPSTREAM_TIMEOUT_MS: '1500' }, serviceEnv: { payments: { LATENCY_MS: '200' } } });
  t.after(() => shop.stop());
  const auth = bearer(await tokenFor(shop.urls.users!));
  const keys = Array.from({ length: 8 }, () => randomUUID());
  const answers: Promise<CallResult>[] = [];
  for (const key of keys) {
    answers.push(placeOrder(shop.urls.orders!, key, ORDER, auth, 5_000));
    await sleep(30);
    if (answers.length === 4) await shop.kill('orders', 'SIGKILL');
  }
  const first = await Promise.all(answers);
  assert.ok(first.some((r) => r.status === 0 || r.status >= 500), 'the kill cut some checkouts');
  await shop.restart('orders');

  const ids: string[] = [];
  for (const key of keys) ids.push(orderIdOf(await completeWithSameKey(shop, key, auth)));
  assert.equal(new Set(ids).size, keys.length, `one order per key: ${ids.join(',')}`);
  await assertOneChargePerOrder(shop, ids);

  await shop.restart('orders');
  await shop.restart('payments');
  const replay = await placeOrder(shop.urls.orders!, keys[0]!, ORDER, auth);
  assert.equal(replay.status, 201);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.equal(orderIdOf(replay), ids[0]);
  const fresh = [];
  for (let i = 0; i < 3; i++) fresh.push(orderIdOf(await completeWithSameKey(shop, randomUUID(), auth)));
  const highest = Math.max(...ids.map(Number));
  for (const id of fresh) assert.ok(Number(id) > highest, `new order id ${id} after restarts is above every earlier id (${highest})`);
  await assertOneChargePerOrder(shop, [...ids, ...fresh]);
});

test('payments slower than orders\' deadline: no charge lands after the 504; the reconciler cancels the order, and a prompt retry completes another once', async (t) => {
  const shop = await startShop({
    services: BACKEND,
    serviceEnv: { orders: { UPSTREAM_TIMEOUT_MS: '800', RECONCILE_INTERVAL_MS: '300' }, payments: { LATENCY_MS: '1500' } },
  });
  t.after(() => shop.stop());
  const auth = bearer(await tokenFor(shop.urls.users!));
  const [left, retried] = [randomUUID(), randomUUID()];
  const slow = await Promise.all([placeOrder(shop.urls.orders!, left, ORDER, auth), placeOrder(shop.urls.orders!, retried, ORDER, auth)]);
  for (const r of slow) {
    assert.equal(r.status, 504, r.text);
    assert.equal(codeOf(r), 'payment_unconfirmed');
  }
  const put = await call(`${shop.adminUrls.payments}/admin/switches`, { method: 'PUT', json: { latencyMs: 0 } });
  assert.equal(put.status, 200, put.text);
  const done = await placeOrder(shop.urls.orders!, retried, ORDER, auth);
  assert.equal(done.status, 201, done.text);
  const doneId = orderIdOf(done);

  // Find the order left alone, then wait (bounded) for the reconciler to settle it.
  const mine = (await call(`${shop.urls.orders}/orders?limit=100`, { headers: auth })).json as { orders: Array<{ order_id: string; status: string }> };
  const leftId = mine.orders.find((o) => o.order_id !== doneId && o.order_id !== '5001')?.order_id;
  assert.ok(leftId, JSON.stringify(mine));
  let status = '';
  for (let i = 0; i < 40 && status !== 'cancelled'; i++) {
    await sleep(250);
    status = String(((await call(`${shop.urls.orders}/orders/${leftId}`, { headers: auth })).json as { status?: string }).status);
  }
  assert.equal(status, 'cancelled', 'the reconciler cancelled the order whose charge never landed');
  assert.equal((await ledger(shop.urls.payments!, leftId)).length, 0, 'payments refused the late work: no orphan charge');
  assert.equal((await ledger(shop.urls.payments!, doneId)).length, 1);
  const again = await placeOrder(shop.urls.orders!, left, ORDER, auth);
  assert.equal(again.status, 409);
  assert.equal(codeOf(again), 'order_cancelled');
});

test('the 100,001st key: 100,000 newer keys in both services do not evict the first; a retry replays and charges nothing new', async (t) => {
  const shop = await startShop({ services: BACKEND });
  t.after(() => shop.stop());
  const auth = bearer(await tokenFor(shop.urls.users!));
  const key = randomUUID();
  const first = await placeOrder(shop.urls.orders!, key, ORDER, auth);
  assert.equal(first.status, 201, first.text);
  // 100,000 more keys straight through the store module into each service's file (a second connection, as WAL allows).
  for (const service of ['orders', 'payments']) {
    const db = openDatabase(path.join(shop.dataDir, `${service}.sqlite`), '');
    const keys = createIdempotencyKeys(db);
    transaction(db, () => {
      for (let i = 0; i < 100_000; i++) keys.insert(`bulk-${i}`, 'f', `r${i}`);
    });
    assert.ok(keys.count() >= 100_001, `${service} holds every key`);
    db.close();
  }
  const again = await placeOrder(shop.urls.orders!, key, ORDER, auth);
  assert.equal(again.status, 201, again.text);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(orderIdOf(again), orderIdOf(first));
  assert.equal((await ledger(shop.urls.payments!, orderIdOf(first))).length, 1);
});

test('FAIL_AFTER_CHARGE (the retries scenario\'s switch): the charge is recorded before the 503, so only the same key keeps a retry from charging twice', async (t) => {
  const shop = await startShop({ services: BACKEND, serviceEnv: { payments: { ERROR_PERCENT: '100', ERROR_STATUS: '503', FAIL_AFTER_CHARGE: 'true' } } });
  t.after(() => shop.stop());
  const auth = bearer(await tokenFor(shop.urls.users!));
  const key = randomUUID();
  const lost = await placeOrder(shop.urls.orders!, key, ORDER, auth);
  assert.equal(lost.status, 502, lost.text);
  assert.equal(codeOf(lost), 'payment_unconfirmed', 'orders never calls a lost answer "not made"');
  assert.equal((await call(`${shop.adminUrls.payments}/admin/switches`, { method: 'PUT', json: { errorPercent: 0 } })).status, 200);
  const list = (await call(`${shop.urls.orders}/orders?limit=100`, { headers: auth })).json as { orders: Array<{ order_id: string; status: string }> };
  const pending = list.orders.at(-1)!;
  assert.equal(pending.status, 'pending');
  assert.equal((await ledger(shop.urls.payments!, pending.order_id)).length, 1, 'payments recorded the charge before answering 503');
  const done = await placeOrder(shop.urls.orders!, key, ORDER, auth);
  assert.equal(done.status, 201, done.text);
  assert.equal(orderIdOf(done), pending.order_id);
  assert.equal((await ledger(shop.urls.payments!, pending.order_id)).length, 1, 'the retry with the same key replayed the charge');
});

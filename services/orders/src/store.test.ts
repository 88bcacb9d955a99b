// The order store on real node:sqlite: seeds, a pending order written with its key in one
// transaction, settling that never flips a settled order, keys that die at exactly their TTL, which
// pending orders the reconciler is offered, and page boundaries. (app.test.ts drives it through HTTP.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { createOrderStore, DEMO_ORDER_ID, SEED_ORDERS, type NewOrder, type Order } from './store.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const laptop: NewOrder = { userId: 1, productId: 101, quantity: 2, unitPriceCents: 129900 };

function memoryStore(options: { seed?: readonly Order[]; keyTtlMs?: number } = {}) {
  let clock = T0;
  const store = createOrderStore(openDatabase(IN_MEMORY, ''), { ...options, now: () => clock });
  return { store, at: (ms: number) => (clock = ms), date: () => new Date(clock) };
}

test('a new store holds exactly the demo order, paid; another seed replaces it', () => {
  const { store } = memoryStore();
  assert.equal(store.count(), 1);
  assert.deepEqual(store.get(DEMO_ORDER_ID), {
    order_id: '5001', user_id: 1, product_id: 101, quantity: 1, unit_price_cents: 129900, total_cents: 129900,
    currency: 'EUR', status: 'paid', payment_id: 'ch_seed_5001', created_at: '2026-01-01T00:00:00.000Z',
  });
  assert.deepEqual(store.get(DEMO_ORDER_ID), SEED_ORDERS[0]);

  const custom = { ...SEED_ORDERS[0]!, order_id: '42', user_id: 3, status: 'cancelled' as const, payment_id: null };
  const other = memoryStore({ seed: [custom] }).store;
  assert.equal(other.count(), 1);
  assert.equal(other.get(DEMO_ORDER_ID), undefined);
  assert.deepEqual(other.get('42'), custom);
  assert.equal(memoryStore({ seed: [] }).store.count(), 0);
});

test('a pending order is written with its key: total is unit × quantity, ids follow the seed, the key finds it', () => {
  const { store, date } = memoryStore();
  const order = store.createPending(laptop, 'k-1', 'fp-1', T0 + 1900, date());
  assert.deepEqual(order, {
    order_id: '5002', user_id: 1, product_id: 101, quantity: 2, unit_price_cents: 129900, total_cents: 259800,
    currency: 'EUR', status: 'pending', payment_id: null, created_at: '2026-03-01T12:00:00.000Z',
  });
  assert.deepEqual(store.get('5002'), order);
  assert.deepEqual(store.findByKey('k-1'), { order, fingerprint: 'fp-1' });
  assert.equal(store.findByKey('k-2'), undefined);
  assert.equal(store.createPending({ ...laptop, quantity: 1 }, 'k-2', 'fp-2', T0, date()).order_id, '5003');
  assert.equal(store.count(), 3);
});

test('a live key cannot create a second order: the transaction writes neither order nor key', () => {
  const { store, date } = memoryStore();
  const first = store.createPending(laptop, 'k', 'fp-a', T0 + 1900, date());
  assert.throws(() => store.createPending(laptop, 'k', 'fp-b', T0 + 1900, date()), (e: unknown) => e instanceof HttpError && e.code === 'idempotency_key_reused');
  assert.equal(store.count(), 2, 'the demo order and the first order only');
  assert.deepEqual(store.findByKey('k'), { order: first, fingerprint: 'fp-a' });
  assert.deepEqual(store.pendingBefore(Number.MAX_SAFE_INTEGER, 10).map((p) => p.order.order_id), [first.order_id]);
});

test('a key lives for exactly its TTL: found 1 ms before, gone at the TTL, and then free for a new order', () => {
  const { store, at, date } = memoryStore({ keyTtlMs: 60_000 });
  const first = store.createPending(laptop, 'k', 'fp', T0 + 1900, date());
  at(T0 + 59_999);
  assert.equal(store.findByKey('k')?.order.order_id, first.order_id);
  at(T0 + 60_000);
  assert.equal(store.findByKey('k'), undefined);
  const second = store.createPending(laptop, 'k', 'fp-new', T0 + 61_900, date());
  assert.notEqual(second.order_id, first.order_id);
  assert.deepEqual(store.findByKey('k'), { order: second, fingerprint: 'fp-new' });
  assert.equal(store.get(first.order_id)?.status, 'pending', 'the old order is kept; only its key expired');
});

test('keys live 24 hours unless told otherwise', () => {
  const { store, at, date } = memoryStore();
  assert.equal(store.keys.ttlMs, 24 * 3600 * 1000);
  store.createPending(laptop, 'k', 'fp', T0, date());
  at(T0 + 24 * 3600 * 1000 - 1);
  assert.ok(store.findByKey('k'));
  at(T0 + 24 * 3600 * 1000);
  assert.equal(store.findByKey('k'), undefined);
});

test('a key whose order is missing finds nothing', () => {
  const { store } = memoryStore();
  store.keys.insert('orphan', 'fp', '999999');
  assert.equal(store.findByKey('orphan'), undefined);
});

test('a pending order settles once: paid or cancelled, and a late duplicate never flips it', () => {
  const { store, at, date } = memoryStore();
  const a = store.createPending(laptop, 'a', 'fp', T0, date());
  const b = store.createPending(laptop, 'b', 'fp', T0, date());
  at(T0 + 5000);
  const paid = store.markPaid(a.order_id, 'ch_7', date());
  assert.deepEqual(paid, { ...a, status: 'paid', payment_id: 'ch_7' });
  assert.deepEqual(store.markPaid(a.order_id, 'ch_8', date()), paid, 'a second charge id does not replace the first');
  assert.deepEqual(store.markCancelled(a.order_id, date()), paid, 'a paid order is never cancelled');

  const cancelled = store.markCancelled(b.order_id, date());
  assert.deepEqual(cancelled, { ...b, status: 'cancelled' });
  assert.deepEqual(store.markPaid(b.order_id, 'ch_9', date()), cancelled, 'a cancelled order is never paid later');
  assert.deepEqual(store.get(b.order_id), cancelled);

  assert.throws(() => store.markPaid('777777', 'ch_1', date()), /777777/);
  assert.throws(() => store.markCancelled('777777', date()), /777777/);
});

test('get: only a plain decimal id of 1 to 15 digits names an order', () => {
  const { store } = memoryStore();
  assert.equal(store.get('5001')?.order_id, '5001');
  for (const id of ['', ' 5001', '5001 ', '+5001', '5001.0', '0x1389', '5e3', '0000000000005001', 'abc', '-1']) {
    assert.equal(store.get(id), undefined, JSON.stringify(id));
  }
  assert.equal(store.get('000000000005001')?.order_id, '5001', '15 digits with leading zeros is still 5001');
  assert.equal(store.get('999999999999999'), undefined);
});

test('pendingBefore offers pending orders whose deadline is strictly before the cutoff, earliest first, up to the limit', () => {
  const { store, date } = memoryStore();
  const late = store.createPending(laptop, 'late', 'fp', T0 + 3000, date());
  const early = store.createPending(laptop, 'early', 'fp', T0 + 1000, date());
  const settled = store.createPending(laptop, 'settled', 'fp', T0, date());
  store.markPaid(settled.order_id, 'ch_1', date());

  assert.deepEqual(store.pendingBefore(T0 + 1000, 10), [], 'a deadline equal to the cutoff is not yet before it');
  assert.deepEqual(store.pendingBefore(T0 + 1001, 10), [{ order: early, key: 'early', chargeDeadline: T0 + 1000 }]);
  assert.deepEqual(store.pendingBefore(T0 + 3001, 10), [
    { order: early, key: 'early', chargeDeadline: T0 + 1000 },
    { order: late, key: 'late', chargeDeadline: T0 + 3000 },
  ]);
  assert.deepEqual(store.pendingBefore(T0 + 3001, 1).map((p) => p.key), ['early']);

  // A new charge attempt moves the deadline, and with it the order's turn.
  store.setChargeDeadline(early.order_id, T0 + 5000);
  assert.deepEqual(store.pendingBefore(T0 + 3001, 10).map((p) => p.key), ['late']);
  assert.deepEqual(store.pendingBefore(T0 + 5001, 10).map((p) => [p.key, p.chargeDeadline]), [['late', T0 + 3000], ['early', T0 + 5000]]);
});

test('findPending reads one order with its key and latest deadline, only while it is pending', () => {
  const { store, date } = memoryStore();
  const order = store.createPending(laptop, 'k', 'fp', T0 + 1000, date());
  assert.deepEqual(store.findPending(order.order_id), { order, key: 'k', chargeDeadline: T0 + 1000 });
  store.setChargeDeadline(order.order_id, T0 + 4000);
  assert.equal(store.findPending(order.order_id)?.chargeDeadline, T0 + 4000);
  store.markCancelled(order.order_id, date());
  assert.equal(store.findPending(order.order_id), undefined);
  assert.equal(store.findPending(DEMO_ORDER_ID), undefined, 'the paid demo order');
  assert.equal(store.findPending('424242'), undefined);
});

test('listForUser: one user\'s orders oldest first, a cursor only when more remain', () => {
  const { store, date } = memoryStore();
  const mine = [DEMO_ORDER_ID];
  for (let i = 0; i < 4; i++) {
    mine.push(store.createPending(laptop, `mine-${i}`, 'fp', T0, date()).order_id);
    store.createPending({ ...laptop, userId: 2 }, `bobs-${i}`, 'fp', T0, date());
  }
  const ids = (page: { items: Order[] }) => page.items.map((o) => o.order_id);

  const all = store.listForUser(1, { limit: 5, after: 0 });
  assert.deepEqual(ids(all), mine);
  assert.equal(all.nextCursor, null, 'exactly a page full: no next page');

  const first = store.listForUser(1, { limit: 2, after: 0 });
  assert.deepEqual(ids(first), mine.slice(0, 2));
  assert.equal(first.nextCursor, `c${mine[1]}`);
  const second = store.listForUser(1, { limit: 2, after: Number(mine[1]) });
  assert.deepEqual(ids(second), mine.slice(2, 4));
  const last = store.listForUser(1, { limit: 2, after: Number(mine[3]) });
  assert.deepEqual(ids(last), mine.slice(4));
  assert.equal(last.nextCursor, null);
  assert.deepEqual(last.items[0], store.get(mine[4]!));

  assert.deepEqual(store.listForUser(1, { limit: 4, after: 0 }).nextCursor, `c${mine[3]}`, 'one more than the page: a cursor');
  assert.deepEqual(store.listForUser(3, { limit: 2, after: 0 }), { items: [], nextCursor: null });
});

test('a store on disk keeps orders, keys and the id sequence across reopening, and the seed is not written twice', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'orders-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'orders.sqlite');
  const now = () => T0;
  const db = openDatabase(file, '');
  const first = createOrderStore(db, { now });
  const placed = first.createPending(laptop, 'k', 'fp', T0 + 1900, new Date(T0));
  first.markPaid(placed.order_id, 'ch_1', new Date(T0));
  db.close();

  const reopenedDb = openDatabase(file, '');
  try {
    const reopened = createOrderStore(reopenedDb, { now });
    assert.equal(reopened.count(), 2);
    assert.equal(reopened.findByKey('k')?.order.status, 'paid');
    assert.equal(reopened.createPending(laptop, 'k2', 'fp', T0, new Date(T0)).order_id, String(Number(placed.order_id) + 1));
  } finally {
    reopenedDb.close();
  }
});

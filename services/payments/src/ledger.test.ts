// The payments ledger on real node:sqlite: a charge and its key are written together or not at all;
// a repeat replays, even after the deadline; another body under the key is refused; nothing is
// charged at or after the caller's deadline; keys die at exactly their TTL; seeds and page
// boundaries. (app.test.ts drives it through HTTP and reopens a file.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { createLedger, SEED_CHARGES, type Charge, type ChargeRequest } from './ledger.ts';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const order6001: ChargeRequest = { orderId: '6001', userId: 1, amountCents: 259800, currency: 'EUR' };

function memoryLedger(options: { seed?: readonly Charge[]; keyTtlMs?: number } = {}) {
  let clock = T0;
  const ledger = createLedger(openDatabase(IN_MEMORY, ''), { ...options, now: () => new Date(clock) });
  return { ledger, at: (ms: number) => (clock = ms) };
}

const isHttpError = (status: number, code: string) => (e: unknown) => e instanceof HttpError && e.status === status && e.code === code;

test('a new ledger holds exactly the demo order\'s charge; another seed replaces it', () => {
  const { ledger } = memoryLedger();
  assert.equal(ledger.count(), 1);
  assert.deepEqual(ledger.get('ch_seed_5001'), {
    id: 'ch_seed_5001', orderId: '5001', userId: 1, amountCents: 129900, currency: 'EUR', status: 'succeeded',
    idempotencyKey: 'seed-order-5001', createdAt: '2026-01-01T00:00:00.000Z',
  });
  assert.deepEqual(ledger.get('ch_seed_5001'), SEED_CHARGES[0]);

  const custom = { ...SEED_CHARGES[0]!, id: 'ch_custom', orderId: '42' };
  const other = memoryLedger({ seed: [custom] }).ledger;
  assert.deepEqual(other.list({ limit: 10, after: 0 }).items, [custom]);
  assert.equal(memoryLedger({ seed: [] }).ledger.count(), 0);
});

test('a charge is written once with its key; a repeat with the same body replays it', () => {
  const { ledger } = memoryLedger();
  const first = ledger.charge(order6001, 'k', 'fp', T0 + 1900);
  const charge: Charge = { id: 'ch_000002', ...order6001, status: 'succeeded', idempotencyKey: 'k', createdAt: '2026-03-01T12:00:00.000Z' };
  assert.deepEqual(first, { charge, replayed: false });
  assert.deepEqual(ledger.get('ch_000002'), charge);
  assert.deepEqual(ledger.keys.lookup('k'), { fingerprint: 'fp', resourceId: 'ch_000002' });

  assert.deepEqual(ledger.charge(order6001, 'k', 'fp', T0 + 1900), { charge, replayed: true });
  assert.equal(ledger.count(), 2);
  assert.equal(ledger.charge({ ...order6001, orderId: '6002' }, 'k2', 'fp2').charge.id, 'ch_000003', 'ids follow the row order');
});

test('the same key with another body is 409 idempotency_key_reused and charges nothing', () => {
  const { ledger } = memoryLedger();
  const { charge } = ledger.charge(order6001, 'k', 'fp');
  assert.throws(() => ledger.charge({ ...order6001, amountCents: 1 }, 'k', 'other-fp'), isHttpError(409, 'idempotency_key_reused'));
  assert.equal(ledger.count(), 2);
  assert.deepEqual(ledger.get(charge.id), charge);
});

test('nothing is charged at or after the deadline, and the key stays free; a replay is answered whenever it comes', () => {
  const { ledger, at } = memoryLedger();
  assert.throws(() => ledger.charge(order6001, 'late', 'fp', T0), isHttpError(504, 'deadline_exceeded'));
  assert.throws(() => ledger.charge(order6001, 'late', 'fp', T0 - 1), isHttpError(504, 'deadline_exceeded'));
  assert.equal(ledger.count(), 1);
  assert.equal(ledger.keys.lookup('late'), undefined);

  const made = ledger.charge(order6001, 'late', 'fp', T0 + 1);
  assert.equal(made.replayed, false);
  at(T0 + 60_000);
  assert.deepEqual(ledger.charge(order6001, 'late', 'fp', T0 + 1), { charge: made.charge, replayed: true }, 'orders asking again after its deadline learns the charge was made');
  assert.equal(ledger.charge({ ...order6001, orderId: '7' }, 'no-deadline', 'fp').replayed, false, 'a call without a deadline is charged');
});

test('a key lives for exactly its TTL; after that the key charges anew', () => {
  const { ledger, at } = memoryLedger({ keyTtlMs: 60_000 });
  const first = ledger.charge(order6001, 'k', 'fp');
  at(T0 + 59_999);
  assert.deepEqual(ledger.charge(order6001, 'k', 'fp'), { charge: first.charge, replayed: true });
  at(T0 + 60_000);
  const second = ledger.charge(order6001, 'k', 'fp');
  assert.equal(second.replayed, false);
  assert.notEqual(second.charge.id, first.charge.id);
  assert.equal(second.charge.createdAt, new Date(T0 + 60_000).toISOString());
  assert.equal(ledger.count(), 3);
});

test('keys live 24 hours unless told otherwise', () => {
  const { ledger, at } = memoryLedger();
  assert.equal(ledger.keys.ttlMs, 24 * 3600 * 1000);
  ledger.charge(order6001, 'k', 'fp');
  at(T0 + 24 * 3600 * 1000 - 1);
  assert.ok(ledger.keys.lookup('k'));
  at(T0 + 24 * 3600 * 1000);
  assert.equal(ledger.keys.lookup('k'), undefined);
});

test('list pages in the order charges were made, a cursor only when more remain, optionally for one order', () => {
  const { ledger } = memoryLedger();
  const ids = ['ch_seed_5001'];
  for (let i = 0; i < 4; i++) ids.push(ledger.charge({ ...order6001, orderId: i % 2 ? '7001' : '7000' }, `k-${i}`, 'fp').charge.id);
  const idsOf = (page: { items: Charge[] }) => page.items.map((c) => c.id);

  const all = ledger.list({ limit: 5, after: 0 });
  assert.deepEqual(idsOf(all), ids);
  assert.equal(all.nextCursor, null, 'exactly a page full: no next page');
  const first = ledger.list({ limit: 4, after: 0 });
  assert.deepEqual(idsOf(first), ids.slice(0, 4));
  assert.equal(first.nextCursor, 'c4', 'the cursor is the row position of the last charge shown');
  assert.deepEqual(idsOf(ledger.list({ limit: 4, after: 4 })), ids.slice(4));
  assert.deepEqual(ledger.list({ limit: 4, after: 5 }), { items: [], nextCursor: null });

  const for7000 = ledger.list({ limit: 1, after: 0 }, '7000');
  assert.deepEqual(idsOf(for7000), [ids[1]]);
  assert.equal(for7000.nextCursor, 'c2');
  const rest = ledger.list({ limit: 1, after: 2 }, '7000');
  assert.deepEqual(idsOf(rest), [ids[3]]);
  assert.equal(rest.nextCursor, null);
  assert.deepEqual(rest.items[0], ledger.get(ids[3]!));
  assert.deepEqual(ledger.list({ limit: 10, after: 0 }, 'none'), { items: [], nextCursor: null });
});

test('get finds a charge by its id only', () => {
  const { ledger } = memoryLedger();
  const { charge } = ledger.charge(order6001, 'k', 'fp');
  assert.deepEqual(ledger.get(charge.id), charge);
  assert.equal(ledger.get('ch_999999'), undefined);
  assert.equal(ledger.get('pending-k'), undefined, 'the placeholder id never outlives the transaction');
});

test('without a clock given, charges are stamped with the wall-clock time and a past deadline is refused', () => {
  const ledger = createLedger(openDatabase(IN_MEMORY, ''));
  const before = Date.now();
  const { charge } = ledger.charge(order6001, 'k', 'fp', before + 60_000);
  const stamped = Date.parse(charge.createdAt);
  assert.ok(stamped >= before && stamped <= Date.now(), charge.createdAt);
  assert.throws(() => ledger.charge(order6001, 'k2', 'fp', before - 1), isHttpError(504, 'deadline_exceeded'));
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { databaseFile, IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { DEADLINE_HEADER } from '../../shared/src/deadline.ts';
import { fingerprintOf } from '../../shared/src/idempotency.ts';
import { DEV_SERVICE_TOKEN } from '../../shared/src/service-token.ts';
import { jsonInit, testRuntime } from '../../shared/src/testing.ts';
import { createApp } from './app.ts';
import { createLedger, type Charge } from './ledger.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const app = () => createApp({ runtime: testRuntime({ service: 'payments' }), now: () => NOW });
const body = { orderId: '6001', userId: 1, amountCents: 2500, currency: 'EUR' as const };
const auth = { authorization: `Bearer ${DEV_SERVICE_TOKEN}` };
const pay = (a: ReturnType<typeof app>, b: unknown, key?: string, extra: Record<string, string> = auth) =>
  a.request('/payments', jsonInit('POST', b, key === undefined ? extra : { 'idempotency-key': key, ...extra }));
type List = { charges: Charge[]; next_cursor: string | null };
const list = async (a: ReturnType<typeof app>, query = '') => (await (await a.request(`/payments${query}`)).json()) as List;

test('a charge is recorded once and a repeat replays it with the same status', async () => {
  const a = app();
  const first = await pay(a, body, 'key-1');
  assert.equal(first.status, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const charge = (await first.json()) as Charge;
  assert.equal(charge.orderId, '6001');
  assert.equal(charge.status, 'succeeded');
  assert.match(charge.id, /^ch_\d{6}$/);
  assert.equal(charge.createdAt, '2026-03-01T12:00:00.000Z');
  const again = await pay(a, { ...body }, 'key-1');
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(await again.json(), charge);
  assert.equal((await list(a, '?order=6001')).charges.length, 1);
});

test('only the orders service may charge: no token 401, a wrong one 403, and nothing is charged', async () => {
  const a = app();
  assert.equal((await pay(a, body, 'k', {})).status, 401);
  assert.equal((await pay(a, body, 'k', { authorization: 'Bearer not-the-service-token' })).status, 403);
  assert.equal((await list(a, '?order=6001')).charges.length, 0);
});

test('a deadline in the past is refused with 504 and charges nothing; a future one charges', async () => {
  const a = app();
  const late = await pay(a, body, 'late', { ...auth, [DEADLINE_HEADER]: String(NOW.getTime() - 1) });
  assert.equal(late.status, 504);
  assert.equal(((await late.json()) as { error: { code: string } }).error.code, 'deadline_exceeded');
  assert.equal((await list(a, '?order=6001')).charges.length, 0);
  assert.equal((await pay(a, body, 'late', { ...auth, [DEADLINE_HEADER]: 'soon' })).status, 400);
  assert.equal((await pay(a, body, 'late', { ...auth, [DEADLINE_HEADER]: String(NOW.getTime() + 1000) })).status, 201);
});

test('concurrent duplicates make one charge', async () => {
  const a = app();
  const results = await Promise.all(Array.from({ length: 8 }, () => pay(a, body, 'key-c')));
  const ids = new Set<string>();
  for (const res of results) {
    assert.equal(res.status, 201);
    ids.add(((await res.json()) as Charge).id);
  }
  assert.equal(ids.size, 1);
  assert.equal((await list(a, '?order=6001')).charges.length, 1);
  assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 7);
});

test('the same key with a different body is a 409 and charges nothing', async () => {
  const a = app();
  await pay(a, body, 'key-2');
  const res = await pay(a, { ...body, amountCents: 9999 }, 'key-2');
  assert.equal(res.status, 409);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'idempotency_key_reused');
  assert.equal((await list(a, '?order=6001')).charges.length, 1);
});

test('the ledger pages with limit ≤ 100 and a cursor, filters by order, and finds one by id', async () => {
  const a = app();
  for (let i = 0; i < 5; i++) await pay(a, { ...body, orderId: `70${i}` }, `k-${i}`);
  const first = await list(a, '?limit=2');
  assert.deepEqual(first.charges.map((c) => c.orderId), ['5001', '700']);
  assert.ok(first.next_cursor);
  const second = await list(a, `?limit=2&cursor=${first.next_cursor}`);
  assert.deepEqual(second.charges.map((c) => c.orderId), ['701', '702']);
  const last = await list(a, `?limit=100&cursor=${second.next_cursor}`);
  assert.deepEqual(last.charges.map((c) => c.orderId), ['703', '704']);
  assert.equal(last.next_cursor, null);
  for (const bad of ['?limit=101', '?limit=0', '?limit=x', '?cursor=abc', '?order=bad%20id']) assert.equal((await a.request(`/payments${bad}`)).status, 400, bad);
  const forOrder = await list(a, '?order=702');
  assert.deepEqual(forOrder.charges.map((c) => c.orderId), ['702']);
  assert.equal((await a.request(`/payments/${forOrder.charges[0]!.id}`)).status, 200);
  assert.equal((await a.request('/payments/ch_nope')).status, 404);
});

test('missing or bad Idempotency-Key and malformed bodies get 4xx and charge nothing', async () => {
  const a = app();
  const cases: Array<[unknown, string | undefined, number]> = [
    [body, undefined, 400],
    [body, 'has space', 400],
    ['{"orderId":', 'k1', 400],
    [{ ...body, amountCents: -5 }, 'k2', 400],
    [{ ...body, amountCents: 1.5 }, 'k3', 400],
    [{ ...body, amountCents: '2500' }, 'k4', 400],
    [{ ...body, extra: 1 }, 'k5', 400],
    [{ ...body, currency: 'USD' }, 'k6', 400],
    ['{"orderId":"1","userId":1,"amountCents":1,"__proto__":{"x":1}}', 'k7', 400],
    [{ ...body, orderId: 'ünïcødé' }, 'k8', 400],
    [{ ...body, orderId: 'x'.repeat(40_000) }, 'k9', 413],
  ];
  for (const [b, key, status] of cases) assert.equal((await pay(a, b, key)).status, status, JSON.stringify(b).slice(0, 60));
  const wrongType = await a.request('/payments', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'text/plain', 'idempotency-key': 'k10', ...auth } });
  assert.equal(wrongType.status, 415);
  assert.equal((await list(a)).charges.length, 1);
});

test('an injected failure before the charge: a retry charges exactly once', async () => {
  const rolls = [0.01, 0.99];
  let i = 0;
  const runtime = testRuntime({ service: 'payments' }, { random: () => rolls[i++ % 2]! });
  runtime.switches.update({ errorPercent: 50 });
  const a = createApp({ runtime });
  assert.equal((await pay(a, body, 'flaky')).status, 503);
  assert.equal((await pay(a, body, 'flaky')).status, 201);
  runtime.switches.update({ errorPercent: 0 });
  assert.equal((await list(a, '?order=6001')).charges.length, 1);
});

test('FAIL_AFTER_CHARGE turns the error share into a 503 after the charge is committed: a new key would charge twice, the same key does not', async () => {
  const runtime = testRuntime({ service: 'payments' }, { random: () => 0 });
  runtime.switches.update({ errorPercent: 30 });
  const ledger = createLedger(openDatabase(IN_MEMORY, ''));
  const a = createApp({ runtime, ledger, failAfterCharge: true });
  const charges = () => ledger.list({ limit: 100, after: 0 }, '6001').items.length;
  const lost = await pay(a, body, 'after-1');
  assert.equal(lost.status, 503);
  assert.equal(charges(), 1, 'the charge is recorded although the answer was a 503');
  assert.equal((await pay(a, body, 'after-1')).status, 503);
  assert.equal(charges(), 1, 'a retry with the same key does not charge again');
  await pay(a, body, 'after-2');
  assert.equal(charges(), 2, 'a retry without the key would have charged twice');
  assert.equal((await a.request('/payments?order=6001')).status, 503, 'other routes still fail before the work');
});

test('the ledger and its keys survive reopening the file; charge ids never repeat', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'payments-ledger-'));
  try {
    const file = databaseFile(dir, 'payments');
    const first = openDatabase(file, '');
    const ledger = createLedger(first);
    const a = ledger.charge(body, 'durable', fingerprintOf(body));
    first.close();
    const second = openDatabase(file, '');
    const reopened = createLedger(second);
    assert.deepEqual(reopened.charge(body, 'durable', fingerprintOf(body)), { charge: a.charge, replayed: true });
    const b = reopened.charge({ ...body, orderId: '6002' }, 'other', 'f');
    assert.notEqual(b.charge.id, a.charge.id);
    assert.equal(reopened.count(), 3);
    second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

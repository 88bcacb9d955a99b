import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonInit, testRuntime } from '../../shared/src/testing.ts';
import { createApp } from './app.ts';
import type { Charge } from './ledger.ts';

const app = () => createApp({ runtime: testRuntime({ service: 'payments' }), now: () => new Date('2026-03-01T12:00:00Z') });
const body = { orderId: '6001', userId: 1, amountCents: 2500, currency: 'EUR' };
const pay = (a: ReturnType<typeof app>, b: unknown, key?: string) =>
  a.request('/payments', jsonInit('POST', b, key === undefined ? {} : { 'idempotency-key': key }));

test('a charge is recorded once and a repeat replays it with the same status', async () => {
  const a = app();
  const first = await pay(a, body, 'key-1');
  assert.equal(first.status, 201);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const charge = (await first.json()) as Charge;
  assert.equal(charge.orderId, '6001');
  assert.equal(charge.status, 'succeeded');
  assert.equal(charge.createdAt, '2026-03-01T12:00:00.000Z');
  const again = await pay(a, { ...body }, 'key-1');
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(await again.json(), charge);
  const ledger = (await (await a.request('/payments?order=6001')).json()) as { charges: Charge[] };
  assert.equal(ledger.charges.length, 1);
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
  assert.equal(((await (await a.request('/payments?order=6001')).json()) as { charges: Charge[] }).charges.length, 1);
  assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 7);
});

test('the same key with a different body is a 409 and charges nothing', async () => {
  const a = app();
  await pay(a, body, 'key-2');
  const res = await pay(a, { ...body, amountCents: 9999 }, 'key-2');
  assert.equal(res.status, 409);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'idempotency_key_reused');
  assert.equal(((await (await a.request('/payments?order=6001')).json()) as { charges: Charge[] }).charges.length, 1);
});

test('the ledger lists all charges, filters by order, and finds one by id', async () => {
  const a = app();
  await pay(a, body, 'k-a');
  await pay(a, { ...body, orderId: '6002' }, 'k-b');
  const all = (await (await a.request('/payments')).json()) as { charges: Charge[] };
  assert.ok(all.charges.some((c) => c.orderId === '5001'));
  assert.equal(all.charges.length, 3);
  const forOrder = (await (await a.request('/payments?order=6002')).json()) as { charges: Charge[] };
  assert.deepEqual(forOrder.charges.map((c) => c.orderId), ['6002']);
  assert.deepEqual(((await (await a.request('/payments?order=7777')).json()) as { charges: Charge[] }).charges, []);
  assert.equal((await a.request('/payments?order=bad%20id')).status, 400);
  const one = await a.request(`/payments/${forOrder.charges[0]!.id}`);
  assert.equal(one.status, 200);
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
  const wrongType = await a.request('/payments', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'text/plain', 'idempotency-key': 'k10' } });
  assert.equal(wrongType.status, 415);
  assert.equal(((await (await a.request('/payments')).json()) as { charges: Charge[] }).charges.length, 1);
});

test('an injected failure happens before charging, so a retry charges exactly once', async () => {
  const rolls = [0.01, 0.99];
  let i = 0;
  const runtime = testRuntime({ service: 'payments' }, { random: () => rolls[i++ % 2]! });
  runtime.switches.update({ errorPercent: 50 });
  const a = createApp({ runtime });
  assert.equal((await pay(a, body, 'flaky')).status, 503);
  assert.equal((await pay(a, body, 'flaky')).status, 201);
  runtime.switches.update({ errorPercent: 0 });
  assert.equal(((await (await a.request('/payments?order=6001')).json()) as { charges: Charge[] }).charges.length, 1);
});

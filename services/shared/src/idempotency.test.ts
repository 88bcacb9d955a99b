import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IN_MEMORY, openDatabase } from './database.ts';
import { HttpError } from './errors.ts';
import { createIdempotencyKeys, createKeyLocks, fingerprintOf } from './idempotency.ts';

test('a key is found until its TTL passes, then purged; count never evicts', () => {
  let now = 1_000;
  const keys = createIdempotencyKeys(openDatabase(IN_MEMORY, ''), { ttlMs: 100, now: () => now });
  keys.insert('k', 'f', 'r1');
  assert.deepEqual(keys.lookup('k'), { fingerprint: 'f', resourceId: 'r1' });
  now = 1_099;
  assert.ok(keys.lookup('k'));
  now = 1_100;
  assert.equal(keys.lookup('k'), undefined);
  assert.equal(keys.purgeExpired(), 1);
  assert.equal(keys.count(), 0);
});

test('a live key cannot be overwritten; an expired one can', () => {
  let now = 0;
  const keys = createIdempotencyKeys(openDatabase(IN_MEMORY, ''), { ttlMs: 10, now: () => now });
  keys.insert('k', 'f', 'r1');
  assert.throws(() => keys.insert('k', 'g', 'r2'), (e: unknown) => e instanceof HttpError && e.status === 409);
  now = 10;
  keys.insert('k', 'g', 'r2');
  assert.deepEqual(keys.lookup('k'), { fingerprint: 'g', resourceId: 'r2' });
});

test('100,001 keys: the first is still there', () => {
  const db = openDatabase(IN_MEMORY, '');
  const keys = createIdempotencyKeys(db);
  db.exec('BEGIN');
  for (let i = 0; i <= 100_000; i++) keys.insert(`key-${i}`, 'f', String(i));
  db.exec('COMMIT');
  assert.equal(keys.count(), 100_001);
  assert.deepEqual(keys.lookup('key-0'), { fingerprint: 'f', resourceId: '0' });
});

test('key locks serialise work per key, also after a failure', async () => {
  const locks = createKeyLocks();
  const order: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = locks.withKey('k', async () => {
    await gate;
    order.push('first');
    throw new Error('boom');
  });
  const second = locks.withKey('k', async () => void order.push('second'));
  const other = locks.withKey('other', async () => void order.push('other'));
  await other;
  assert.ok(locks.held('k'));
  release();
  await assert.rejects(first, /boom/);
  await second;
  assert.deepEqual(order, ['other', 'first', 'second']);
  assert.equal(locks.held('k'), false);
});

test('fingerprints ignore key order', () => {
  assert.equal(fingerprintOf({ a: 1, b: { c: 2, d: 3 } }), fingerprintOf({ b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(fingerprintOf({ a: 1 }), fingerprintOf({ a: 2 }));
});

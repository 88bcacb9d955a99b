// The edges of idempotency keys: which header values are keys, what a fingerprint tells apart, the exact
// moment a key expires, purging only what expired, and per-key locks. (idempotency.test.ts covers
// the main paths and the 100,001 keys.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { IN_MEMORY, openDatabase } from './database.ts';
import { createErrorHandler } from './errors.ts';
import { createIdempotencyKeys, createKeyLocks, DEFAULT_KEY_TTL_MS, fingerprintOf, requireIdempotencyKey } from './idempotency.ts';

async function keyOf(headers: Record<string, string>): Promise<{ status: number; key?: string; code?: string }> {
  const app = new Hono();
  app.post('/x', (c) => c.json({ key: requireIdempotencyKey(c) }));
  app.onError(createErrorHandler());
  const res = await app.request('/x', { method: 'POST', headers });
  const body = (await res.json()) as { key?: string; error?: { code: string } };
  return { status: res.status, ...(body.key !== undefined ? { key: body.key } : {}), ...(body.error ? { code: body.error.code } : {}) };
}

test('a key is 1 to 255 visible ASCII characters; missing or empty is its own 400', async () => {
  for (const key of ['a', '!', '~', 'k'.repeat(255), 'order-5001:retry#2', '0f8fad5b-d9cb-469f-a165-70867728950e']) {
    assert.deepEqual(await keyOf({ 'idempotency-key': key }), { status: 200, key }, key);
  }
  assert.deepEqual(await keyOf({}), { status: 400, code: 'missing_idempotency_key' });
  assert.deepEqual(await keyOf({ 'idempotency-key': '' }), { status: 400, code: 'missing_idempotency_key' });
  for (const key of ['k'.repeat(256), 'with space', 'tab\there', 'café', 'del\x7f']) {
    assert.deepEqual(await keyOf({ 'idempotency-key': key }), { status: 400, code: 'invalid_idempotency_key' }, JSON.stringify(key));
  }
});

test('fingerprints: key order never matters at any depth; values, array order and types always do', () => {
  assert.equal(fingerprintOf({ b: [{ y: 1, x: 2 }], a: null }), fingerprintOf({ a: null, b: [{ x: 2, y: 1 }] }));
  assert.equal(fingerprintOf({ b: 1, a: 2, c: 3 }), '{"a":2,"b":1,"c":3}', 'sorted, so any equal body gives the same text');
  assert.equal(fingerprintOf({ B: 1, a: 2, _: 3 }), '{"B":1,"_":3,"a":2}', 'by code unit, the same on every machine');
  assert.notEqual(fingerprintOf([1, 2]), fingerprintOf([2, 1]));
  assert.notEqual(fingerprintOf({ a: '1' }), fingerprintOf({ a: 1 }));
  assert.notEqual(fingerprintOf({ a: { b: 1 } }), fingerprintOf({ a: { b: 1, c: undefined, d: 0 } }));
  assert.equal(fingerprintOf(null), 'null');
});

test('a key lives exactly its TTL: found until then, gone at it, replaceable at it, purged with the other expired only', () => {
  let now = 5_000;
  const keys = createIdempotencyKeys(openDatabase(IN_MEMORY, ''), { ttlMs: 1_000, now: () => now });
  assert.equal(keys.ttlMs, 1_000);
  keys.insert('old', 'f1', 'r1');
  now = 5_500;
  keys.insert('young', 'f2', 'r2');
  now = 5_999;
  assert.deepEqual(keys.lookup('old'), { fingerprint: 'f1', resourceId: 'r1' });
  assert.throws(() => keys.insert('old', 'f9', 'r9'), (e: unknown) => (e as { status?: number; code?: string }).status === 409 && (e as { code?: string }).code === 'idempotency_key_reused');
  now = 6_000;
  assert.equal(keys.lookup('old'), undefined);
  assert.deepEqual(keys.lookup('young'), { fingerprint: 'f2', resourceId: 'r2' });
  assert.equal(keys.count(), 2, 'expired keys stay until purged');
  assert.equal(keys.purgeExpired(), 1);
  assert.equal(keys.count(), 1);
  assert.deepEqual(keys.lookup('young'), { fingerprint: 'f2', resourceId: 'r2' }, 'the live key survives the purge');
  assert.equal(keys.purgeExpired(), 0);
  assert.equal(keys.lookup('never'), undefined);
});

test('an expired key is replaced in place, and then lives a full TTL from its new use', () => {
  let now = 0;
  const keys = createIdempotencyKeys(openDatabase(IN_MEMORY, ''), { ttlMs: 100, now: () => now });
  keys.insert('k', 'f1', 'r1');
  now = 100;
  keys.insert('k', 'f2', 'r2');
  assert.equal(keys.count(), 1);
  now = 199;
  assert.deepEqual(keys.lookup('k'), { fingerprint: 'f2', resourceId: 'r2' });
  assert.throws(() => keys.insert('k', 'f3', 'r3'), (e: unknown) => (e as { status?: number }).status === 409);
  now = 200;
  assert.equal(keys.lookup('k'), undefined);
});

test('keys default to a 24 h lifetime on the real clock', () => {
  assert.equal(DEFAULT_KEY_TTL_MS, 86_400_000);
  const keys = createIdempotencyKeys(openDatabase(IN_MEMORY, ''));
  assert.equal(keys.ttlMs, DEFAULT_KEY_TTL_MS);
  keys.insert('k', 'f', 'r');
  assert.deepEqual(keys.lookup('k'), { fingerprint: 'f', resourceId: 'r' });
  assert.equal(keys.purgeExpired(), 0);
});

test('key locks: held while work runs or waits, released after, each caller gets its own outcome', async () => {
  const locks = createKeyLocks();
  assert.equal(locks.held('k'), false);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = locks.withKey('k', async () => {
    await gate;
    return 'first';
  });
  const second = locks.withKey('k', async () => 'second');
  assert.equal(locks.held('k'), true);
  release();
  assert.equal(await first, 'first');
  assert.equal(locks.held('k'), true, 'the second caller still holds it');
  assert.equal(await second, 'second');
  assert.equal(locks.held('k'), false);
  // A failure reaches its own caller only, and frees the key.
  await assert.rejects(locks.withKey('k', async () => { throw new Error('only mine'); }), /only mine/);
  assert.equal(locks.held('k'), false);
  assert.equal(await locks.withKey('k', async () => 'after'), 'after');
});

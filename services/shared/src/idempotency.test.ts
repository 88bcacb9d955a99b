import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from './errors.ts';
import { createIdempotencyStore, fingerprintOf } from './idempotency.ts';

test('a repeat returns the stored value without running the work again', async () => {
  const store = createIdempotencyStore<number>();
  let runs = 0;
  const work = async () => ++runs;
  assert.deepEqual(await store.run('k', 'f', work), { value: 1, replayed: false });
  assert.deepEqual(await store.run('k', 'f', work), { value: 1, replayed: true });
  assert.equal(runs, 1);
});

test('concurrent duplicates coalesce into one run', async () => {
  const store = createIdempotencyStore<number>();
  let runs = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const work = async () => {
    runs++;
    await gate;
    return 42;
  };
  const all = Promise.all(Array.from({ length: 5 }, () => store.run('k', 'f', work)));
  release();
  const results = await all;
  assert.equal(runs, 1);
  assert.deepEqual(results.map((r) => r.value), [42, 42, 42, 42, 42]);
  assert.equal(results.filter((r) => !r.replayed).length, 1);
});

test('the same key with another body is a 409, both done and in flight', async () => {
  const store = createIdempotencyStore<string>();
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = store.run('k', 'a', async () => {
    await gate;
    return 'x';
  });
  await assert.rejects(store.run('k', 'b', async () => 'y'), (e: unknown) => e instanceof HttpError && e.status === 409);
  release();
  await first;
  await assert.rejects(store.run('k', 'b', async () => 'y'), (e: unknown) => e instanceof HttpError && e.code === 'idempotency_key_reused');
});

test('a failed attempt is forgotten so a retry runs again', async () => {
  const store = createIdempotencyStore<string>();
  await assert.rejects(store.run('k', 'f', async () => {
    throw new Error('payments down');
  }));
  assert.deepEqual(await store.run('k', 'f', async () => 'ok'), { value: 'ok', replayed: false });
});

test('old completed entries are evicted past the bound', async () => {
  const store = createIdempotencyStore<number>({ maxEntries: 3 });
  for (let i = 0; i < 5; i++) await store.run(`k${i}`, 'f', async () => i);
  assert.equal(store.size(), 3);
  assert.deepEqual(await store.run('k4', 'f', async () => -1), { value: 4, replayed: true });
});

test('fingerprints ignore key order but not values', () => {
  assert.equal(fingerprintOf({ a: 1, b: { c: 2, d: 3 } }), fingerprintOf({ b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(fingerprintOf({ a: 1 }), fingerprintOf({ a: 2 }));
});

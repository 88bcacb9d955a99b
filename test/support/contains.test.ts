import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertContains, subsetMismatches } from './contains.ts';

test('a body contains a subset at any depth, with more fields allowed', () => {
  const body = { order_id: '5001', total: 1299, user: { id: 1, name: 'Alice' }, product: { id: 101, name: 'Laptop', tags: ['a', 'b'] } };
  assert.deepEqual(subsetMismatches(body, { order_id: '5001', user: { name: 'Alice' }, product: { name: 'Laptop' } }), []);
  assert.doesNotThrow(() => assertContains(body, { product: { tags: ['a', 'b'] } }));
});

test('differences are reported by path: wrong value, wrong type, missing field, array length', () => {
  const body = { order_id: 5001, user: { name: 'Bob' }, items: [1] };
  assert.deepEqual(subsetMismatches(body, { order_id: '5001', user: { name: 'Alice' }, product: { name: 'Laptop' }, items: [1, 2] }), [
    '$.order_id: expected "5001", got 5001',
    '$.user.name: expected "Alice", got "Bob"',
    '$.product: missing',
    '$.items: expected 2 items, got 1',
  ]);
  assert.deepEqual(subsetMismatches(null, { a: 1 }), ['$: expected an object, got null']);
  assert.throws(() => assertContains({ name: 'Laptop ' }, { name: 'Laptop' }, 'products 101'), /products 101: body does not contain[\s\S]*\$\.name/);
});

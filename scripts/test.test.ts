import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slowest } from './test.ts';

test('the slowest tests are ranked by duration, ten at most', () => {
  const lines = Array.from({ length: 14 }, (_, i) => JSON.stringify({ name: `t${i}`, file: `f${i % 3}.test.ts`, ms: (i * 37) % 100 })).join('\n') + '\n';
  const top = slowest(lines);
  assert.equal(top.length, 10);
  assert.deepEqual(top.slice(0, 3).map((t) => t.ms), [96, 85, 81]);
  for (let i = 1; i < top.length; i++) assert.ok(top[i - 1]!.ms >= top[i]!.ms);
  assert.deepEqual(slowest(''), []);
});

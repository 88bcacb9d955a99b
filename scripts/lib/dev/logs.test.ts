import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrefixer, humanizeLogLine } from './logs.ts';

test('a request line reads as method, path, status and duration, with the trace id', () => {
  const line = JSON.stringify({ time: '2026-11-22T04:34:15.069Z', level: 'info', service: 'products', msg: 'request', method: 'GET', path: '/products/101', route: '/products/:id', status: 200, durationMs: 1.395, requestId: 'r1', traceId: 'abc' });
  assert.equal(humanizeLogLine(line), '04:34:15 GET /products/101 200 1.4ms trace=abc');
});

test('other lines keep their level (unless info), message and every other field', () => {
  const line = JSON.stringify({ time: '2026-11-22T04:34:04.970Z', level: 'warn', service: 'users', msg: 'generated a key', kid: 'K1', n: 2 });
  assert.equal(humanizeLogLine(line), '04:34:04 warn generated a key kid=K1 n=2');
  assert.equal(humanizeLogLine(JSON.stringify({ time: '2026-11-22T01:02:03.000Z', level: 'info', msg: 'listening', port: 5002 })), '01:02:03 listening port=5002');
});

test('lines that are not JSON log entries pass through untouched', () => {
  for (const line of ['plain text', '{not json', '{"no":"msg"}', '[1,2]']) assert.equal(humanizeLogLine(line), line);
});

test('--json-logs keeps the raw line; the default humanizes it', () => {
  const line = JSON.stringify({ time: '2026-11-22T01:02:03.000Z', level: 'info', msg: 'listening', port: 5002 });
  assert.equal(createPrefixer(['products'], false, { rawJson: true }).format('products', line), `products | ${line}`);
  assert.equal(createPrefixer(['products'], false).format('products', line), 'products | 01:02:03 listening port=5002');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, FLUSH_DELAY_MS, logRequest } from './logging.ts';

test('lines are JSON with service, level and msg, filtered by level, and batched until flush', async () => {
  const written: string[] = [];
  const logger = createLogger({ service: 'users', level: 'info', sink: { write: (t) => written.push(t) } });
  logger.debug('hidden');
  logger.info('hello', { count: 2, msg: 'cannot override', error: new Error('boom') });
  logger.warn('careful');
  assert.equal(written.length, 0);
  logger.flush();
  const lines = written.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.service, 'users');
  assert.equal(lines[0]!.level, 'info');
  assert.equal(lines[0]!.msg, 'hello');
  assert.equal(lines[0]!.count, 2);
  assert.equal((lines[0]!.error as { message: string }).message, 'boom');
  assert.equal(lines[1]!.level, 'warn');
});

test('buffered lines are written within the flush delay without flush', async () => {
  const written: string[] = [];
  const logger = createLogger({ service: 's', sink: { write: (t) => written.push(t) } });
  logRequest(logger, { method: 'GET', path: '/a', route: '/a', status: 200, durationMs: 1.23456, requestId: 'r', traceId: undefined });
  logger.info('second');
  assert.equal(written.length, 0, 'not written at once');
  await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS + 20));
  assert.equal(written.length, 1, 'the lines of one delay go out in one write');
  const [first, second] = written[0]!.trim().split('\n');
  assert.equal((JSON.parse(second!) as { msg: string }).msg, 'second');
  const line = JSON.parse(first!) as Record<string, unknown>;
  assert.equal(line.msg, 'request');
  assert.equal(line.durationMs, 1.235);
  assert.equal('traceId' in line, false);
});

test('the request line is one valid JSON object with every field, escaped where the client chose it', () => {
  const written: string[] = [];
  const logger = createLogger({ service: 'products', sink: { write: (t) => written.push(t) }, immediate: true });
  const before = Date.now();
  logRequest(logger, { method: 'GET', path: '/products/"1"\n\\x', route: '/products/:id', status: 404, durationMs: 0.00049, requestId: 'abc-1', traceId: '0af7651916cd43dd8448eb211c80319c' });
  logRequest(logger, { method: 'GET', path: '/a', route: '/a', status: 200, durationMs: Number.NaN, requestId: 'r', traceId: undefined });
  const [first, second] = written.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(Object.keys(first!), ['time', 'level', 'service', 'msg', 'method', 'path', 'route', 'status', 'durationMs', 'requestId', 'traceId']);
  assert.equal(first!.path, '/products/"1"\n\\x');
  assert.equal(first!.status, 404);
  assert.equal(first!.durationMs, 0);
  assert.equal(first!.traceId, '0af7651916cd43dd8448eb211c80319c');
  const time = Date.parse(first!.time as string);
  assert.ok(time >= before && time <= Date.now(), 'the cached timestamp is the current millisecond');
  assert.equal(second!.durationMs, null, 'a non-finite number is written as null, never as bare NaN');
  assert.equal('traceId' in second!, false);
  logRequest(logger, { method: 'GET', path: '/h', route: '/healthz', status: 200, durationMs: 1, requestId: 'r', traceId: undefined }, 'debug');
  assert.equal(written.length, 2, 'below the threshold nothing is written');
});

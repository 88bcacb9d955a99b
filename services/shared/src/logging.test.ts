import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, FLUSH_DELAY_MS, logRequest, MAX_QUEUED_BYTES } from './logging.ts';

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

test('while stdout holds more than MAX_QUEUED_BYTES unread, lines are dropped and the next write says how many', () => {
  const written: string[] = [];
  const sink = { writableLength: 0, write: (t: string) => void written.push(t) };
  const logger = createLogger({ service: 'products', sink });
  logger.info('kept before');
  logger.flush();
  sink.writableLength = MAX_QUEUED_BYTES + 1;
  logger.info('dropped 1');
  logRequest(logger, { method: 'GET', path: '/a', route: '/a', status: 200, durationMs: 1, requestId: 'r', traceId: undefined });
  logger.flush();
  logger.warn('dropped 3');
  logger.flush();
  assert.equal(written.length, 1, 'nothing written while the reader is behind');
  sink.writableLength = MAX_QUEUED_BYTES;
  logger.info('kept after');
  logger.flush();
  const lines = written.slice(1).join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => [l.level, l.msg, l.dropped]), [['warn', 'log lines dropped', 3], ['info', 'kept after', undefined]]);
  assert.equal(lines[0]!.service, 'products');
  logger.info('once');
  logger.flush();
  assert.equal(JSON.parse(written.at(-1)!).msg, 'once', 'the count is reported once');
});

test('a sink without writableLength never drops', () => {
  const written: string[] = [];
  const logger = createLogger({ service: 's', sink: { write: (t) => written.push(t) } });
  for (let i = 0; i < 3; i++) {
    logger.info(`line ${i}`);
    logger.flush();
  }
  assert.equal(written.length, 3);
});

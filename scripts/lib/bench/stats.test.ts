import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { runClosedLoop, runOpenLoop } from './loadgen.ts';
import { parseStatTicks, parseStatusMb } from './proc.ts';
import { cpuMicrosPerRequest, fmt, formatTable, median, percentile, ratio, round } from './stats.ts';

test('percentiles use the nearest rank and do not depend on input order', () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(values, 50), 5);
  assert.equal(percentile(values, 99), 10);
  assert.equal(percentile(values, 90), 9);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile([42], 99), 42);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile(values, 101), /0\.\.100/);
  assert.deepEqual(values, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6], 'the input is not sorted in place');
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile(hundred, 50), 50);
});

test('median, ratios, rounding and CPU per request', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(ratio(600, 1000), 0.6);
  assert.ok(Number.isNaN(ratio(5, 0)));
  assert.ok(Number.isNaN(ratio(Number.NaN, 3)));
  assert.equal(round(0.12345, 3), 0.123);
  assert.equal(cpuMicrosPerRequest(1_000_000, 1_500_000, 10_000), 50);
  assert.ok(Number.isNaN(cpuMicrosPerRequest(0, 10, 0)));
  assert.equal(fmt(Number.NaN), '—');
  assert.equal(fmt(1.234, 2, ' ms'), '1.23 ms');
});

test('the table pads columns to the widest cell', () => {
  const text = formatTable([{ figure: 'products req/s', shop: '1000', baseline: '2000', ratio: '0.50×' }]);
  const [header, rule, row] = text.split('\n');
  assert.equal(header!.length, row!.length);
  assert.equal(rule!.length, row!.length);
  assert.match(row!, /^products req\/s {2,}1000 {2,}2000 {2,}0\.50×$/);
});

test('/proc stat and status parsing', () => {
  // A command name with spaces and parentheses must not shift the fields.
  const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 500 0 0 0 70 30 0 0 20 0 11 0 100 0 0';
  assert.equal(parseStatTicks(stat), 100);
  assert.equal(parseStatusMb('Name:\tnode\nVmHWM:\t   102400 kB\nVmRSS:\t    51200 kB\n', 'VmRSS'), 50);
  assert.equal(parseStatusMb('VmHWM:\t   102400 kB\n', 'VmHWM'), 100);
  assert.throws(() => parseStatusMb('Name: x\n', 'VmRSS'), /no VmRSS/);
});

test('the generator sends what it reports, against a local server, in both loops', async (t) => {
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const open = await runOpenLoop({ origin, path: '/x', rate: 200, durationMs: 300, timeoutMs: 10_000 });
  assert.equal(open.sent + open.dropped, 60, 'an open loop schedules rate × duration arrivals');
  assert.equal(open.ok + open.badStatus + open.failed, open.sent, 'every request sent is accounted for');
  assert.equal(open.latenciesMs.length, open.ok + open.badStatus);
  assert.equal(served, open.sent);

  const before = served;
  const closed = await runClosedLoop({ origin, path: '/missing', concurrency: 4, durationMs: 200, timeoutMs: 10_000 });
  assert.ok(closed.sent >= 4, 'every worker sent at least once');
  assert.equal(closed.badStatus, closed.sent);
  assert.equal(closed.statuses['404'], closed.sent);
  assert.equal(served - before, closed.sent);
});

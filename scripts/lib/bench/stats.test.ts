import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { runClosedLoop, runCount, runOpenLoop } from './loadgen.ts';
import { parseStatTicks, parseStatusMb } from './proc.ts';
import { newestDump, parseCallgrindTotals } from './callgrind.ts';
import { parsePorcelain } from './machine.ts';
import {
  cpuMicrosPerRequest,
  disagreement,
  fmt,
  formatTable,
  interleavePlan,
  mean,
  median,
  pairedRatios,
  percentile,
  ratio,
  round,
  spread,
  stabilityLine,
  stabilityVerdict,
} from './stats.ts';

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
  assert.equal(mean([1, 2, 6]), 3);
  assert.ok(Number.isNaN(mean([])));
  assert.equal(ratio(600, 1000), 0.6);
  assert.ok(Number.isNaN(ratio(5, 0)));
  assert.ok(Number.isNaN(ratio(Number.NaN, 3)));
  assert.equal(round(0.12345, 3), 0.123);
  assert.equal(cpuMicrosPerRequest(1_000_000, 1_500_000, 10_000), 50);
  assert.ok(Number.isNaN(cpuMicrosPerRequest(0, 10, 0)));
  assert.equal(fmt(Number.NaN), '—');
  assert.equal(fmt(1.234, 2, ' ms'), '1.23 ms');
});

test('the table pads columns to the widest cell and refuses ragged rows', () => {
  const text = formatTable(['figure', 'shop', 'base'], [['products req/s', '1000', '2000']]);
  const [header, rule, row] = text.split('\n');
  assert.equal(header!.length, row!.length);
  assert.equal(rule!.length, row!.length);
  assert.match(row!, /^products req\/s {2}1000 {2}2000$/);
  assert.throws(() => formatTable(['a', 'b'], [['x']]), /1 cells, the header 2/);
});

test('spread: median, min and max of the finite values', () => {
  assert.deepEqual(spread([3, 1, 2, 10, 4]), { median: 3, min: 1, max: 10, n: 5 });
  assert.deepEqual(spread([2, Number.NaN, 4]), { median: 3, min: 2, max: 4, n: 2 });
  const none = spread([]);
  assert.ok(Number.isNaN(none.median) && Number.isNaN(none.min) && Number.isNaN(none.max));
  assert.equal(none.n, 0);
});

test('ratios pair rounds of the same alternation, never across alternations', () => {
  // The machine slowed down in alternation 2: both sides halve, and the paired ratio does not move.
  assert.deepEqual(pairedRatios([600, 300, 600], [1000, 500, 1000]), [0.6, 0.6, 0.6]);
  assert.deepEqual(spread(pairedRatios([600, 300, 700], [1000, 500, 1000])), { median: 0.6, min: 0.6, max: 0.7, n: 3 });
  assert.ok(Number.isNaN(pairedRatios([1], [0])[0]!));
  assert.throws(() => pairedRatios([1, 2], [1]), /same number of rounds/);
});

test('the interleaving plan rotates the order, so every side runs in every position', () => {
  const plan = interleavePlan(['shop', 'hono', 'raw'], 6);
  assert.equal(plan.length, 6);
  assert.deepEqual(plan[0], ['shop', 'hono', 'raw']);
  assert.deepEqual(plan[1], ['hono', 'raw', 'shop']);
  assert.deepEqual(plan[2], ['raw', 'shop', 'hono']);
  assert.deepEqual(plan[3], plan[0]);
  for (const order of plan) assert.deepEqual([...order].sort(), ['hono', 'raw', 'shop'], 'each side once per alternation');
  for (let position = 0; position < 3; position++) {
    const firsts = plan.map((o) => o[position]);
    for (const side of ['shop', 'hono', 'raw']) assert.equal(firsts.filter((s) => s === side).length, 2, `${side} at position ${position} twice in six`);
  }
  assert.deepEqual(interleavePlan(['a', 'b'], 5).map((o) => o.join('')), ['ab', 'ba', 'ab', 'ba', 'ab']);
  assert.throws(() => interleavePlan(['a'], 0), /positive whole number/);
  assert.throws(() => interleavePlan([], 3), /at least one side/);
});

test('stability: consecutive runs must agree within the tolerance on every key', () => {
  assert.equal(round(disagreement(1.0, 1.1), 6), 0.1);
  assert.equal(round(disagreement(1.1, 1.0), 6), 0.1, 'symmetric');
  assert.ok(Number.isNaN(disagreement(Number.NaN, 1)));

  const keys = ['a', 'b'];
  const agree = stabilityVerdict([{ a: 0.70, b: 1.3 }, { a: 0.74, b: 1.25 }], keys);
  assert.equal(agree.compared, true);
  assert.equal(agree.stable, true);
  assert.match(stabilityLine(agree), /^stability: STABLE, 2 consecutive runs agree within 10% on every ratio$/);

  const off = stabilityVerdict([{ a: 0.70, b: 1.3 }, { a: 0.71, b: 2.6 }], keys);
  assert.equal(off.stable, false);
  assert.deepEqual(off.checks.map((c) => c.agrees), [true, false]);
  assert.equal(off.checks[1]!.worst, 1);
  assert.equal(stabilityLine(off), 'stability: NOT STABLE, 2 consecutive runs differ by more than 10% on b 1.30 vs 2.60 (100% apart)');

  // Only consecutive runs are compared; the worst pair decides.
  const drift = stabilityVerdict([{ a: 1 }, { a: 1.08 }, { a: 1.17 }], ['a']);
  assert.equal(drift.stable, true, '1 → 1.08 → 1.17 moves under 10% per step');
  assert.equal(stabilityVerdict([{ a: 1 }, { a: 1.08 }, { a: 1.2 }], ['a']).stable, false);

  const missing = stabilityVerdict([{ a: 1 }, {}], ['a']);
  assert.equal(missing.stable, false, 'an unmeasured figure is not stable');
  assert.match(stabilityLine(missing), /a 1\.00 vs —/);

  const single = stabilityVerdict([{ a: 1 }], ['a']);
  assert.equal(single.compared, false);
  assert.match(stabilityLine(single), /one run only; pass --repeat 2/);
});

test('callgrind dumps and git status parsing', () => {
  assert.equal(parseCallgrindTotals('version: 1\nevents: Ir\nsummary: 5200\nfn=x\n1 5\ntotals: 5230\n'), 5230);
  assert.equal(parseCallgrindTotals('events: Ir\nsummary: 77\n'), 77);
  assert.throws(() => parseCallgrindTotals('events: Ir\n'), /no totals/);
  assert.equal(newestDump(['callgrind.12.out', 'callgrind.12.out.2', 'callgrind.12.out.10', 'callgrind.123.out.99', 'other'], 'callgrind.12.out'), 'callgrind.12.out.10');
  assert.equal(newestDump(['callgrind.12.out'], 'callgrind.12.out'), undefined);
  assert.deepEqual(parsePorcelain(' M services/shared/src/logging.ts\nM  scripts/bench.ts\n'), ['services/shared/src/logging.ts', 'scripts/bench.ts']);
  assert.deepEqual(parsePorcelain(''), []);
});

test('/proc stat and status parsing', () => {
  // A command name with spaces and parentheses must not shift the fields.
  const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 500 0 0 0 70 30 0 0 20 0 11 0 100 0 0';
  assert.equal(parseStatTicks(stat), 100);
  assert.equal(parseStatusMb('Name:\tnode\nVmHWM:\t   102400 kB\nVmRSS:\t    51200 kB\n', 'VmRSS'), 50);
  assert.equal(parseStatusMb('VmHWM:\t   102400 kB\n', 'VmHWM'), 100);
  assert.equal(parseStatusMb('VmRSS:\t 51200 kB\nRssAnon:\t    10240 kB\n', 'RssAnon'), 10);
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

  const beforeCount = served;
  const counted = await runCount({ origin, path: '/x', requests: 25, concurrency: 4, timeoutMs: 10_000 });
  assert.equal(counted.sent, 25, 'a counted run sends exactly the count');
  assert.equal(counted.ok, 25);
  assert.equal(served - beforeCount, 25);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchRows, benchStability, benchSummary, ratioCell, runFigures, STABILITY_KEYS, TABLE_HEADER } from './report.ts';
import { parseBenchNumbers, type BenchNumbers, type BenchResult, type OrdersRound, type ProductsRound, type RunResult } from './suite.ts';

const OPTIONS: BenchNumbers = { durationMs: 2000, warmupMs: 500, ordersWarmupMs: 10_000, ordersAlternations: 45, ordersDurationMs: 1000, rate: 1000, concurrency: 32, alternations: 3, coldStarts: 3, repeat: 1, callgrindRequests: 200 };

const products = (rps: number[], cpu: number[]): ProductsRound[] => rps.map((r, i) => ({ rps: r, cpuUsPerReq: cpu[i]!, errors: 0 }));
// 100 requests per round: 98 at a quarter of the p99, the two slowest at it (the 99th of 100 is the p99).
const latencies = (p99: number): number[] => [...Array.from({ length: 98 }, () => p99 / 4), p99, p99];
const orders = (p99: number[]): OrdersRound[] => p99.map((p) => ({ p50Ms: p / 4, p99Ms: p, rate: 1000, errors: 1, latenciesMs: latencies(p) }));

/** Three alternations; the machine slowed in the second one for every side alike. */
function run(scale = 1): RunResult {
  return {
    products: {
      shop: products([6000 * scale, 3000, 7000], [150, 300, 140]),
      hono: products([8000 * scale, 4000, 8000], [100, 200, 100]),
      raw: products([10000 * scale, 5000, 10000], [60, 120, 70]),
    },
    orders: { shop: orders([8, 20, 6]), hono: orders([6, 10, 3]), raw: orders([4, 10, 3]) },
    coldStartMs: { shop: [180, 200, 190], hono: [120, 100, 110], raw: [60, 50, 50] },
    idleRssMb: {
      shop: { users: [60, 61, 62], products: [55, 55, 55] },
      hono: { users: [50, 50, 50], products: [48, 48, 48] },
      raw: { users: [45, 45, 46], products: [44, 44, 44] },
    },
    idleAnonMb: {
      shop: { users: [20, 21, 22], products: [18, 18, 18] },
      hono: { users: [15, 15, 15], products: [14, 14, 14] },
      raw: { users: [12, 12, 12], products: [11, 11, 11] },
    },
    peakRssMb: { shop: { users: 80, products: 90 }, hono: { users: 70, products: 60 }, raw: { users: 50, products: 50 } },
    load: { start: 0.5, end: 0.7 },
  };
}

test('ratios are medians of per-alternation ratios, with their min and max', () => {
  const f = runFigures(run());
  // shop/raw per alternation: 0.6, 0.6, 0.7
  assert.deepEqual(f.vsRaw.shop.productsRps, { median: 0.6, min: 0.6, max: 0.7, n: 3 });
  // CPU: 2.5, 2.5, 2 → median 2.5
  assert.deepEqual(f.vsRaw.shop.productsCpu, { median: 2.5, min: 2, max: 2.5, n: 3 });
  // p99: 2, 2, 2
  assert.equal(f.vsRaw.shop.ordersP99.median, 2);
  assert.equal(f.vsRaw.hono.ordersP99.max, 1.5);
  // cold start pairs: 3, 4, 3.8
  assert.deepEqual(f.vsRaw.shop.coldStart, { median: 3.8, min: 3, max: 4, n: 3 });
  assert.deepEqual(f.shopVsHono.productsRps, { median: 0.75, min: 0.75, max: 0.875, n: 3 });
  // The largest service's idle RSS per sample: shop 60, 61, 62 against raw 45, 45, 46.
  assert.equal(f.sides.shop.idleRssMb.median, 61);
  assert.equal(f.sides.shop.idleRssByService.products, 55);
  assert.equal(f.sides.shop.peakRssMb, 90);
  assert.equal(f.sides.shop.idleAnonMb.median, 21, 'the private memory of the service with the largest RSS');
  assert.equal(f.sides.shop.ordersErrors, 3);
});

test("the p99 ratio is paired per alternation, so a slow moment in one round moves its spread, not its median; the pooled p99 is kept beside it", () => {
  const r = run();
  const round = (slow: number): OrdersRound => {
    const l = [...Array.from({ length: 100 - slow }, () => 1), ...Array.from({ length: slow }, () => 50)];
    return { p50Ms: 1, p99Ms: slow >= 1 ? 50 : 1, rate: 1000, errors: 0, latenciesMs: l };
  };
  // Per round: p99 1, 1, 50 for the shop and 1, 1, 1 for raw; together 5 of 300 shop requests at 50 ms.
  r.orders.shop = [round(0), round(0), round(5)];
  r.orders.raw = [round(0), round(0), round(0)];
  const f = runFigures(r);
  assert.deepEqual(f.sides.shop.ordersP99Ms, { median: 1, min: 1, max: 50, n: 3 });
  assert.equal(f.sides.shop.ordersP99PooledMs, 50, 'the 297th of 300 is one of the 5 slow ones');
  r.orders.shop = [round(0), round(0), round(2)];
  assert.equal(runFigures(r).sides.shop.ordersP99PooledMs, 1, '2 slow of 300 stay above the pooled p99');
  assert.deepEqual(f.vsRaw.shop.ordersP99, { median: 1, min: 1, max: 50, n: 3 });
  const summary = benchSummary({ runs: [r], instructions: undefined, instructionsSkipped: 'skipped', options: OPTIONS, cpuNote: '', loadGenerator: 'wrk', floorRssMb: { nodeHttp: 46, withWebFetch: 60 } });
  assert.deepEqual([summary.orders_p99_pooled_ms, summary.orders_p99_pooled_ms_raw], [1, 1]);
  assert.ok(benchRows(r, OPTIONS).some((row) => row[0] === '  p99 of all rounds together'), 'the table shows the pooled p99 too');
});

test('the JSON line carries every median with _min/_max, the instruction counts and the machine', () => {
  const result: BenchResult = { runs: [run()], instructions: { shop: [2_300_000, 1_900_000, 1_800_000], hono: [1_500_000], raw: [1_000_000, 1_000_000] }, instructionsSkipped: undefined, options: OPTIONS, cpuNote: 'servers pinned to CPU 1, load generator to CPU 0 (taskset)', loadGenerator: 'wrk', floorRssMb: { nodeHttp: 46.5, withWebFetch: 60.1 } };
  const s = benchSummary(result, { commit: 'abc1234', dirty: [], cpu: 'Test CPU', cpus: 2, node: 'v24.0.0', memoryGb: 8 });
  for (const key of ['products_rps_ratio', 'products_cpu_ratio', 'orders_p99_ms', 'orders_p99_ratio', 'cold_start_ms', 'idle_rss_mb']) {
    for (const suffix of ['', '_min', '_max']) assert.equal(typeof s[`${key}${suffix}`], 'number', `${key}${suffix}`);
  }
  assert.equal(s.products_rps_ratio, 0.6);
  assert.equal(s.products_rps_ratio_max, 0.7);
  assert.equal(s.orders_p99_ms, 8);
  assert.equal(s.orders_p99_ms_min, 6);
  assert.equal(s.orders_p99_ms_max, 20);
  assert.equal(s.cold_start_ms, 190);
  assert.equal(s.products_instructions_ratio, 2, 'the mean over the windows: a GC in one window is a cost of every request');
  assert.equal(s.products_instructions_per_req_min, 1_800_000);
  assert.equal(s.products_instructions_per_req_max, 2_300_000);
  assert.equal(s.products_instructions_vs_hono, 1.333);
  assert.equal(s.hono_products_instructions_ratio, 1.5);
  assert.equal(s.commit, 'abc1234');
  assert.equal(s.load_generator, 'wrk', 'which client set the req/s is part of the figure');
  assert.deepEqual([s.idle_rss_floor_mb_node_http, s.idle_rss_floor_mb_web], [46.5, 60.1]);
  assert.match(String(s.cpu_pinning), /CPU 1/);
  assert.equal(s.stable, null, 'one run: nothing compared');
  assert.equal(s.load_1m_start, 0.5);
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(s)));
});

test('the stability verdict compares each ratio of consecutive runs', () => {
  const steady: BenchResult = { runs: [run(), run()], instructions: undefined, instructionsSkipped: 'skipped', options: { ...OPTIONS, repeat: 2 }, cpuNote: 'not pinned', loadGenerator: 'node', floorRssMb: { nodeHttp: 46.5, withWebFetch: 60.1 } };
  assert.equal(benchStability(steady).stable, true);
  assert.equal(benchSummary(steady).stable, true);
  assert.deepEqual(Object.keys(benchSummary(steady).stability as object), [...STABILITY_KEYS]);

  const second = run();
  second.orders.shop = orders([16, 40, 12]);
  const moved: BenchResult = { ...steady, runs: [run(), second] };
  const verdict = benchStability(moved);
  assert.equal(verdict.stable, false);
  assert.deepEqual(verdict.checks.filter((c) => !c.agrees).map((c) => c.key), ['orders_p99_ratio']);
});

test('a missing figure is null in JSON and a dash in the table, never NaN', () => {
  const broken = run();
  broken.products.raw = products([0, 0, 0], [Number.NaN, Number.NaN, Number.NaN]);
  const result: BenchResult = { runs: [broken], instructions: undefined, instructionsSkipped: 'skipped', options: OPTIONS, cpuNote: 'not pinned', loadGenerator: 'node', floorRssMb: { nodeHttp: 46.5, withWebFetch: 60.1 } };
  assert.equal(benchSummary(result).products_rps_ratio, null);
  assert.equal(benchSummary(result).products_instructions_per_req, null);
  const rows = benchRows(broken, OPTIONS);
  assert.equal(rows[0]![4], '—');
  assert.ok(rows.every((r) => r.length === TABLE_HEADER.length && r.every((cell) => !cell.includes('NaN'))));
  assert.equal(benchRows(run(), OPTIONS)[0]![4], '0.60× (0.60–0.70)');
  assert.equal(ratioCell({ median: 1.234, min: 1.234, max: 1.234, n: 1 }), '1.23×');
});

test('the instruction row appears only when counted', () => {
  const without = benchRows(run(), OPTIONS);
  const withCounts = benchRows(run(), OPTIONS, { shop: [2_400_000, 2_600_000, 2_200_000], hono: [1_800_000], raw: [1_200_000] });
  assert.equal(withCounts.length, without.length + 1);
  assert.deepEqual(withCounts[2], ['GET /products/101 instructions/request', '2400k', '1800k', '1200k', '2.00×', '1.50×']);
});

test('bench options: defaults, and out-of-range values are refused with their name', () => {
  assert.deepEqual(parseBenchNumbers({}), { durationMs: 2000, warmupMs: 500, ordersWarmupMs: 10_000, ordersAlternations: 90, ordersDurationMs: 1000, rate: 1000, concurrency: 32, alternations: 5, coldStarts: 7, repeat: 1, callgrindRequests: 200 });
  const custom = parseBenchNumbers({ duration: '0.5', warmup: '0', 'orders-warmup': '2.5', 'orders-alternations': '9', 'orders-duration': '1.5', rate: '200', concurrency: '8', alternations: '7', 'cold-starts': '9', repeat: '2', callgrind: '0' });
  assert.deepEqual(custom, { durationMs: 500, warmupMs: 0, ordersWarmupMs: 2500, ordersAlternations: 9, ordersDurationMs: 1500, rate: 200, concurrency: 8, alternations: 7, coldStarts: 9, repeat: 2, callgrindRequests: 0 });
  assert.throws(() => parseBenchNumbers({ duration: '600' }), /--duration must be a number from 0\.2 to 60; got "600"/);
  assert.throws(() => parseBenchNumbers({ rate: 'fast' }), /--rate/);
  assert.throws(() => parseBenchNumbers({ 'orders-warmup': '121' }), /--orders-warmup must be a number from 0 to 120; got "121"/);
  assert.throws(() => parseBenchNumbers({ 'orders-alternations': '2.5' }), /--orders-alternations must be a whole number/);
  assert.throws(() => parseBenchNumbers({ 'orders-duration': '0.1' }), /--orders-duration must be a number from 0\.2 to 60/);
  assert.throws(() => parseBenchNumbers({ concurrency: '0' }), /--concurrency/);
  assert.throws(() => parseBenchNumbers({ alternations: '2.5' }), /--alternations must be a whole number/);
  assert.throws(() => parseBenchNumbers({ repeat: '' }), /--repeat/);
});

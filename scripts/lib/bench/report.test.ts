import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchRows, benchSummary } from './report.ts';
import { parseBenchNumbers, type BenchResult, type Side } from './suite.ts';

function side(overrides: Partial<Side>): Side {
  return {
    productsRps: 0,
    productsCpuUsPerReq: 0,
    productsErrors: 0,
    ordersP50Ms: 0,
    ordersP99Ms: 0,
    ordersRate: 0,
    ordersOk: 0,
    ordersErrors: 0,
    ordersDropped: 0,
    coldStartMs: 0,
    idleRssMb: {},
    peakRssMb: {},
    ...overrides,
  };
}

const RESULT: BenchResult = {
  shop: side({ productsRps: 6000, productsCpuUsPerReq: 150, ordersP50Ms: 2, ordersP99Ms: 8, ordersRate: 998, ordersErrors: 1, ordersDropped: 2, coldStartMs: 180, idleRssMb: { users: 60, products: 55 }, peakRssMb: { users: 80, products: 90 } }),
  baseline: side({ productsRps: 10000, productsCpuUsPerReq: 60, ordersP50Ms: 1, ordersP99Ms: 4, ordersRate: 1000, coldStartMs: 60, idleRssMb: { users: 45 }, peakRssMb: { users: 50 } }),
  options: { durationMs: 5000, rate: 1000, concurrency: 32, coldStarts: 3 },
};

test('the JSON summary holds the required keys with shop/baseline ratios', () => {
  const s = benchSummary(RESULT);
  assert.equal(s.products_rps_ratio, 0.6);
  assert.equal(s.products_cpu_ratio, 2.5);
  assert.equal(s.orders_p99_ms, 8);
  assert.equal(s.orders_p99_ratio, 2);
  assert.equal(s.orders_rate, 998);
  assert.equal(s.orders_errors, 3);
  assert.equal(s.cold_start_ms, 180);
  assert.equal(s.idle_rss_mb, 60, 'the largest service counts');
  assert.equal(s.peak_rss_mb, 90);
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(s)));
});

test('a missing figure is null in JSON and a dash in the table, never NaN', () => {
  const broken: BenchResult = { ...RESULT, baseline: side({ productsRps: 0, idleRssMb: { x: 1 }, peakRssMb: { x: 1 } }) };
  assert.equal(benchSummary(broken).products_rps_ratio, null);
  const rows = benchRows(broken);
  assert.equal(rows[0]!.ratio, '—');
  assert.ok(rows.every((r) => !r.shop.includes('NaN') && !r.ratio.includes('NaN')));
  assert.equal(benchRows(RESULT)[0]!.ratio, '0.60×');
});

test('bench options: defaults, and out-of-range values are refused with their name', () => {
  assert.deepEqual(parseBenchNumbers({}), { durationMs: 5000, rate: 1000, concurrency: 32 });
  assert.deepEqual(parseBenchNumbers({ duration: '0.5', rate: '200', concurrency: '8' }), { durationMs: 500, rate: 200, concurrency: 8 });
  assert.throws(() => parseBenchNumbers({ duration: '600' }), /--duration must be a number from 0\.2 to 60; got "600"/);
  assert.throws(() => parseBenchNumbers({ rate: 'fast' }), /--rate/);
  assert.throws(() => parseBenchNumbers({ concurrency: '0' }), /--concurrency/);
});

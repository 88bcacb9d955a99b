// Turns a bench result into the printed table and the one-line JSON summary.
import type { BenchResult } from './suite.ts';
import { fmt, formatTable, ratio, round, type Row } from './stats.ts';

const max = (values: Record<string, number>) => Math.max(...Object.values(values));

export function benchRows(r: BenchResult): Row[] {
  const { shop, baseline, options } = r;
  const row = (figure: string, a: number, b: number, digits: number, unit = ''): Row => ({
    figure,
    shop: fmt(a, digits, unit),
    baseline: fmt(b, digits, unit),
    ratio: Number.isFinite(ratio(a, b)) ? `${ratio(a, b).toFixed(2)}×` : '—',
  });
  return [
    row(`GET /products/101 req/s (${options.concurrency} conns)`, shop.productsRps, baseline.productsRps, 0),
    row('GET /products/101 CPU µs/request', shop.productsCpuUsPerReq, baseline.productsCpuUsPerReq, 1),
    row(`GET /orders/5001 p50 @ ${options.rate}/s`, shop.ordersP50Ms, baseline.ordersP50Ms, 2, ' ms'),
    row(`GET /orders/5001 p99 @ ${options.rate}/s`, shop.ordersP99Ms, baseline.ordersP99Ms, 2, ' ms'),
    row('GET /orders/5001 answered 2xx per s', shop.ordersRate, baseline.ordersRate, 0),
    row('GET /orders/5001 errors + dropped', shop.ordersErrors + shop.ordersDropped, baseline.ordersErrors + baseline.ordersDropped, 0),
    row('cold start to first 200 (compiled)', shop.coldStartMs, baseline.coldStartMs, 0, ' ms'),
    row('idle RSS, largest service', max(shop.idleRssMb), max(baseline.idleRssMb), 1, ' MB'),
    row('peak RSS, largest service', max(shop.peakRssMb), max(baseline.peakRssMb), 1, ' MB'),
  ];
}

const n = (v: number, digits = 2) => (Number.isFinite(v) ? round(v, digits) : null);

/** The JSON summary: flat figures for scripts and CI, shop first, baseline with a prefix. */
export function benchSummary(r: BenchResult): Record<string, unknown> {
  const { shop, baseline, options } = r;
  return {
    products_rps: n(shop.productsRps, 0),
    products_rps_baseline: n(baseline.productsRps, 0),
    products_rps_ratio: n(ratio(shop.productsRps, baseline.productsRps), 3),
    products_cpu_us_per_req: n(shop.productsCpuUsPerReq, 1),
    products_cpu_us_per_req_baseline: n(baseline.productsCpuUsPerReq, 1),
    products_cpu_ratio: n(ratio(shop.productsCpuUsPerReq, baseline.productsCpuUsPerReq), 3),
    orders_target_rate: options.rate,
    orders_rate: n(shop.ordersRate, 1),
    orders_p50_ms: n(shop.ordersP50Ms, 3),
    orders_p99_ms: n(shop.ordersP99Ms, 3),
    orders_errors: shop.ordersErrors + shop.ordersDropped,
    orders_p99_ms_baseline: n(baseline.ordersP99Ms, 3),
    orders_p99_ratio: n(ratio(shop.ordersP99Ms, baseline.ordersP99Ms), 3),
    cold_start_ms: n(shop.coldStartMs, 1),
    cold_start_ms_baseline: n(baseline.coldStartMs, 1),
    idle_rss_mb: n(max(shop.idleRssMb), 1),
    idle_rss_mb_by_service: Object.fromEntries(Object.entries(shop.idleRssMb).map(([k, v]) => [k, n(v, 1)])),
    peak_rss_mb: n(max(shop.peakRssMb), 1),
    peak_rss_mb_by_service: Object.fromEntries(Object.entries(shop.peakRssMb).map(([k, v]) => [k, n(v, 1)])),
    idle_rss_mb_baseline: n(max(baseline.idleRssMb), 1),
    duration_s: options.durationMs / 1000,
  };
}

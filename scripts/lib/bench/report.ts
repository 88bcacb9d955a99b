// Turns a bench result into figures (medians with their spread, ratios paired per alternation), the
// printed table and the one-line JSON summary. Pure, so node:test checks the arithmetic.
import type { Machine } from './machine.ts';
import type { BenchNumbers, BenchResult, RunResult, SideName } from './suite.ts';
import { fmt, mean, median, pairedRatios, percentile, ratio, round, spread, stabilityVerdict, type Spread, type StabilityVerdict } from './stats.ts';

export interface SideFigures {
  productsRps: Spread;
  productsCpuUs: Spread;
  productsErrors: number;
  ordersP50Ms: Spread;
  /** The rounds' own p99s: their median, min and max. */
  ordersP99Ms: Spread;
  /** The p99 over every request of every round: a bad round's tail counts in it, so it moves with the machine. */
  ordersP99PooledMs: number;
  ordersRate: Spread;
  ordersErrors: number;
  coldStartMs: Spread;
  /** The largest service's idle RSS samples. */
  idleRssMb: Spread;
  /** Median idle RSS of each service. */
  idleRssByService: Record<string, number>;
  /** The largest service's private memory (RssAnon) samples. */
  idleAnonMb: Spread;
  peakRssMb: number;
}

export interface Ratios {
  productsRps: Spread;
  productsCpu: Spread;
  ordersP99: Spread;
  coldStart: Spread;
  idleRss: Spread;
}

export interface RunFigures {
  sides: Record<SideName, SideFigures>;
  /** shop / raw and hono / raw, paired per alternation. */
  vsRaw: { shop: Ratios; hono: Ratios };
  /** shop / hono, paired per alternation. */
  shopVsHono: { productsRps: Spread; productsCpu: Spread };
}

function sideFigures(run: RunResult, side: SideName): SideFigures {
  const p = run.products[side];
  const o = run.orders[side];
  const idleByService = Object.fromEntries(Object.entries(run.idleRssMb[side]).map(([name, samples]) => [name, median(samples)]));
  const largest = Object.entries(idleByService).sort((a, b) => b[1] - a[1])[0]?.[0];
  return {
    productsRps: spread(p.map((r) => r.rps)),
    productsCpuUs: spread(p.map((r) => r.cpuUsPerReq)),
    productsErrors: p.reduce((sum, r) => sum + r.errors, 0),
    ordersP50Ms: spread(o.map((r) => r.p50Ms)),
    ordersP99Ms: spread(o.map((r) => r.p99Ms)),
    ordersP99PooledMs: pooledP99(run, side),
    ordersRate: spread(o.map((r) => r.rate)),
    ordersErrors: o.reduce((sum, r) => sum + r.errors, 0),
    coldStartMs: spread(run.coldStartMs[side]),
    idleRssMb: spread(largest === undefined ? [] : run.idleRssMb[side][largest]!),
    idleRssByService: idleByService,
    idleAnonMb: spread(largest === undefined ? [] : (run.idleAnonMb[side][largest] ?? [])),
    peakRssMb: Math.max(...Object.values(run.peakRssMb[side])),
  };
}

/** The largest service's idle RSS per sample index, so two sides' samples pair up. */
function largestIdleSeries(run: RunResult, side: SideName): number[] {
  const series = Object.values(run.idleRssMb[side]);
  const n = Math.min(...series.map((s) => s.length));
  return Array.from({ length: Number.isFinite(n) ? n : 0 }, (_, i) => Math.max(...series.map((s) => s[i]!)));
}

/** The p99 of all of a side's order requests in the run, printed beside the median of the rounds' p99s. */
function pooledP99(run: RunResult, side: SideName): number {
  return percentile(run.orders[side].flatMap((r) => r.latenciesMs), 99);
}

function ratiosOf(run: RunResult, side: SideName, base: SideName): Ratios {
  const paired = (pick: (r: RunResult, s: SideName) => number[]) => spread(pairedRatios(pick(run, side), pick(run, base)));
  return {
    productsRps: paired((r, s) => r.products[s].map((x) => x.rps)),
    productsCpu: paired((r, s) => r.products[s].map((x) => x.cpuUsPerReq)),
    // Paired per alternation like every ratio: a slow moment of the machine (a stall of a few
    // seconds hits one round in a few) then skews one alternation's ratio, not the median. The
    // pooled p99s' ratio moved with such moments by up to 2× between runs.
    ordersP99: paired((r, s) => r.orders[s].map((x) => x.p99Ms)),
    coldStart: paired((r, s) => r.coldStartMs[s]),
    idleRss: paired(largestIdleSeries),
  };
}

export function runFigures(run: RunResult): RunFigures {
  return {
    sides: { shop: sideFigures(run, 'shop'), hono: sideFigures(run, 'hono'), raw: sideFigures(run, 'raw') },
    vsRaw: { shop: ratiosOf(run, 'shop', 'raw'), hono: ratiosOf(run, 'hono', 'raw') },
    shopVsHono: {
      productsRps: spread(pairedRatios(run.products.shop.map((x) => x.rps), run.products.hono.map((x) => x.rps))),
      productsCpu: spread(pairedRatios(run.products.shop.map((x) => x.cpuUsPerReq), run.products.hono.map((x) => x.cpuUsPerReq))),
    },
  };
}

const n = (v: number, digits = 2) => (Number.isFinite(v) ? round(v, digits) : null);

/** key, key_min, key_max for one spread. */
function spreadKeys(key: string, s: Spread, digits: number): Record<string, number | null> {
  return { [key]: n(s.median, digits), [`${key}_min`]: n(s.min, digits), [`${key}_max`]: n(s.max, digits) };
}

/** The ratios the stability verdict compares between runs. */
export const STABILITY_KEYS = [
  'products_rps_ratio',
  'products_cpu_ratio',
  'orders_p99_ratio',
  'cold_start_ratio',
  'idle_rss_ratio',
  'hono_products_rps_ratio',
  'hono_products_cpu_ratio',
  'hono_orders_p99_ratio',
  'products_rps_vs_hono',
] as const;

/** The flat figures of one run: shop first, the references with a prefix or suffix; every median with _min/_max. */
export function runSummary(run: RunResult): Record<string, unknown> {
  const f = runFigures(run);
  const { shop, hono, raw } = f.sides;
  return {
    ...spreadKeys('products_rps', shop.productsRps, 0),
    ...spreadKeys('products_rps_ratio', f.vsRaw.shop.productsRps, 3),
    ...spreadKeys('products_rps_vs_hono', f.shopVsHono.productsRps, 3),
    ...spreadKeys('products_cpu_us_per_req', shop.productsCpuUs, 1),
    ...spreadKeys('products_cpu_ratio', f.vsRaw.shop.productsCpu, 3),
    ...spreadKeys('products_cpu_vs_hono', f.shopVsHono.productsCpu, 3),
    products_errors: shop.productsErrors,
    ...spreadKeys('orders_p50_ms', shop.ordersP50Ms, 3),
    ...spreadKeys('orders_p99_ms', shop.ordersP99Ms, 3),
    ...spreadKeys('orders_p99_ratio', f.vsRaw.shop.ordersP99, 3),
    orders_p99_pooled_ms: n(shop.ordersP99PooledMs, 3),
    orders_rate: n(shop.ordersRate.median, 1),
    orders_errors: shop.ordersErrors,
    ...spreadKeys('cold_start_ms', shop.coldStartMs, 1),
    ...spreadKeys('cold_start_ratio', f.vsRaw.shop.coldStart, 3),
    ...spreadKeys('idle_rss_mb', shop.idleRssMb, 1),
    ...spreadKeys('idle_rss_ratio', f.vsRaw.shop.idleRss, 3),
    ...spreadKeys('idle_rss_anon_mb', shop.idleAnonMb, 1),
    idle_rss_mb_by_service: Object.fromEntries(Object.entries(shop.idleRssByService).map(([k, v]) => [k, n(v, 1)])),
    peak_rss_mb: n(shop.peakRssMb, 1),
    ...spreadKeys('hono_products_rps_ratio', f.vsRaw.hono.productsRps, 3),
    ...spreadKeys('hono_products_cpu_ratio', f.vsRaw.hono.productsCpu, 3),
    ...spreadKeys('hono_orders_p99_ratio', f.vsRaw.hono.ordersP99, 3),
    products_rps_hono: n(hono.productsRps.median, 0),
    products_rps_raw: n(raw.productsRps.median, 0),
    products_cpu_us_per_req_hono: n(hono.productsCpuUs.median, 1),
    products_cpu_us_per_req_raw: n(raw.productsCpuUs.median, 1),
    orders_p99_ms_hono: n(hono.ordersP99Ms.median, 3),
    orders_p99_ms_raw: n(raw.ordersP99Ms.median, 3),
    orders_p99_pooled_ms_raw: n(raw.ordersP99PooledMs, 3),
    cold_start_ms_hono: n(hono.coldStartMs.median, 1),
    cold_start_ms_raw: n(raw.coldStartMs.median, 1),
    idle_rss_mb_hono: n(hono.idleRssMb.median, 1),
    idle_rss_mb_raw: n(raw.idleRssMb.median, 1),
    idle_rss_anon_mb_raw: n(raw.idleAnonMb.median, 1),
    load_1m_start: n(run.load.start, 2),
    load_1m_end: n(run.load.end, 2),
  };
}

export function benchStability(result: BenchResult, tolerance = 0.1): StabilityVerdict {
  const runs = result.runs.map((r) => {
    const s = runSummary(r);
    return Object.fromEntries(STABILITY_KEYS.map((k) => [k, typeof s[k] === 'number' ? (s[k] as number) : Number.NaN]));
  });
  return stabilityVerdict(runs, STABILITY_KEYS, tolerance);
}

/** The JSON line: the last run's figures, the instruction counts, the stability verdict and where it ran. */
export function benchSummary(result: BenchResult, machine?: Machine): Record<string, unknown> {
  const last = result.runs.at(-1);
  if (!last) throw new Error('a bench result without runs');
  const verdict = benchStability(result);
  const ins = result.instructions ? { shop: instructionSpread(result.instructions.shop), hono: instructionSpread(result.instructions.hono), raw: instructionSpread(result.instructions.raw) } : undefined;
  const o: BenchNumbers = result.options;
  return {
    ...runSummary(last),
    ...(ins ? spreadKeys('products_instructions_per_req', ins.shop, 0) : { products_instructions_per_req: null }),
    products_instructions_per_req_hono: ins ? n(ins.hono.median, 0) : null,
    products_instructions_per_req_raw: ins ? n(ins.raw.median, 0) : null,
    products_instructions_ratio: ins ? n(ratio(ins.shop.median, ins.raw.median), 3) : null,
    products_instructions_vs_hono: ins ? n(ratio(ins.shop.median, ins.hono.median), 3) : null,
    hono_products_instructions_ratio: ins ? n(ratio(ins.hono.median, ins.raw.median), 3) : null,
    runs: result.runs.length,
    load_generator: result.loadGenerator,
    idle_rss_floor_mb_node_http: n(result.floorRssMb.nodeHttp, 1),
    idle_rss_floor_mb_web: n(result.floorRssMb.withWebFetch, 1),
    cpu_pinning: result.cpuNote,
    stable: verdict.compared ? verdict.stable : null,
    stability: Object.fromEntries(verdict.checks.map((c) => [c.key, c.values.map((v) => n(v, 3))])),
    orders_target_rate: o.rate,
    concurrency: o.concurrency,
    duration_s: o.durationMs / 1000,
    warmup_s: o.warmupMs / 1000,
    orders_warmup_s: o.ordersWarmupMs / 1000,
    orders_alternations: o.ordersAlternations,
    orders_duration_s: o.ordersDurationMs / 1000,
    alternations: o.alternations,
    cold_starts: o.coldStarts,
    ...(machine ? { commit: machine.commit, uncommitted: machine.dirty, cpu: machine.cpu, cpus: machine.cpus, node: machine.node } : {}),
  };
}

/**
 * Instructions per request over all windows (equal windows, so the mean): a major GC falls in some
 * windows and not others, and its cost belongs to every request; min and max show how much it moves.
 */
export function instructionSpread(windows: readonly number[]): Spread {
  const s = spread(windows);
  return { ...s, median: mean(windows.filter((v) => Number.isFinite(v))) };
}

export const TABLE_HEADER = ['figure', 'shop', 'bare Hono', 'node:http', 'shop / node:http', 'Hono / node:http'] as const;

/** `0.66× (0.61–0.70)`: the median ratio and its min–max over the alternations. */
export function ratioCell(s: Spread): string {
  if (!Number.isFinite(s.median)) return '—';
  return s.n > 1 ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : `${s.median.toFixed(2)}×`;
}

export function benchRows(run: RunResult, options: BenchNumbers, instructionWindows?: Record<SideName, number[]>): string[][] {
  const f = runFigures(run);
  const { shop, hono, raw } = f.sides;
  const cells = (pick: (s: SideFigures) => number, digits: number, unit = '') => [fmt(pick(shop), digits, unit), fmt(pick(hono), digits, unit), fmt(pick(raw), digits, unit)];
  const rows: string[][] = [
    [`GET /products/101 req/s (${options.concurrency} conns)`, ...cells((s) => s.productsRps.median, 0), ratioCell(f.vsRaw.shop.productsRps), ratioCell(f.vsRaw.hono.productsRps)],
    ['GET /products/101 CPU µs/request', ...cells((s) => s.productsCpuUs.median, 1), ratioCell(f.vsRaw.shop.productsCpu), ratioCell(f.vsRaw.hono.productsCpu)],
  ];
  if (instructionWindows) {
    const instructions = { shop: mean(instructionWindows.shop), hono: mean(instructionWindows.hono), raw: mean(instructionWindows.raw) };
    const one = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(0)}k` : '—');
    const r = (a: number) => (Number.isFinite(ratio(a, instructions.raw)) ? `${ratio(a, instructions.raw).toFixed(2)}×` : '—');
    rows.push(['GET /products/101 instructions/request', one(instructions.shop), one(instructions.hono), one(instructions.raw), r(instructions.shop), r(instructions.hono)]);
  }
  const noRatio = (label: string, pick: (s: SideFigures) => number, digits: number, unit = '') => [label, ...cells(pick, digits, unit), '', ''];
  rows.push(
    noRatio(`GET /orders/5001 p50 @ ${options.rate}/s`, (s) => s.ordersP50Ms.median, 2, ' ms'),
    [`GET /orders/5001 p99 @ ${options.rate}/s (median round)`, ...cells((s) => s.ordersP99Ms.median, 2, ' ms'), ratioCell(f.vsRaw.shop.ordersP99), ratioCell(f.vsRaw.hono.ordersP99)],
    noRatio('  p99 of all rounds together', (s) => s.ordersP99PooledMs, 2, ' ms'),
    noRatio('GET /orders/5001 answered 2xx per s', (s) => s.ordersRate.median, 0),
    noRatio('GET /orders/5001 errors + dropped', (s) => s.ordersErrors, 0),
    [`cold start to first 200 (median of ${options.coldStarts})`, ...cells((s) => s.coldStartMs.median, 0, ' ms'), ratioCell(f.vsRaw.shop.coldStart), ratioCell(f.vsRaw.hono.coldStart)],
    ['idle RSS, largest service', ...cells((s) => s.idleRssMb.median, 1, ' MB'), ratioCell(f.vsRaw.shop.idleRss), ratioCell(f.vsRaw.hono.idleRss)],
    noRatio('  of which private (RssAnon)', (s) => s.idleAnonMb.median, 1, ' MB'),
    noRatio('peak RSS, largest service', (s) => s.peakRssMb, 1, ' MB'),
  );
  return rows;
}

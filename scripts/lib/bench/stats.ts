// The arithmetic behind the benchmark's figures: pure, so node:test checks it.

/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. Sorts a copy. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be within 0..100; got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** measured / baseline, or NaN when the baseline is zero or either figure is missing. */
export function ratio(measured: number, baseline: number): number {
  if (!Number.isFinite(measured) || !Number.isFinite(baseline) || baseline === 0) return Number.NaN;
  return measured / baseline;
}

/** Rounds for display and for the JSON line (NaN becomes null there). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** CPU microseconds per request from two CPU-time samples (in µs) and the requests served between them. */
export function cpuMicrosPerRequest(cpuBeforeUs: number, cpuAfterUs: number, requests: number): number {
  if (requests <= 0) return Number.NaN;
  return (cpuAfterUs - cpuBeforeUs) / requests;
}

export interface Row {
  figure: string;
  shop: string;
  baseline: string;
  ratio: string;
}

export function fmt(value: number, digits = 1, unit = ''): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)}${unit}` : '—';
}

/** A plain text table, columns padded to their widest cell. */
export function formatTable(rows: readonly Row[]): string {
  const header: Row = { figure: 'figure', shop: 'shop', baseline: 'node:http baseline', ratio: 'shop / baseline' };
  const all = [header, ...rows];
  const keys = ['figure', 'shop', 'baseline', 'ratio'] as const;
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: Row) => keys.map((k, i) => (i === 0 ? r[k].padEnd(widths[i]!) : r[k].padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

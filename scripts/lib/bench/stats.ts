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

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
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

/** A figure measured several times: its median and the smallest and largest value. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many values it summarises (NaN values are left out). */
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/**
 * measured[i] / baseline[i] for each alternation i: rounds measured side by side are compared with
 * each other, never with a round from another moment, so slow drift of the machine cancels out.
 */
export function pairedRatios(measured: readonly number[], baseline: readonly number[]): number[] {
  if (measured.length !== baseline.length) throw new Error(`paired figures need the same number of rounds; got ${measured.length} and ${baseline.length}`);
  return measured.map((m, i) => ratio(m, baseline[i]!));
}

/**
 * The order of the sides in each alternation: the list rotated by one each time, so no side always
 * runs first (right after the previous phase) or last.
 */
export function interleavePlan<S>(sides: readonly S[], alternations: number): S[][] {
  if (!Number.isInteger(alternations) || alternations < 1) throw new Error(`alternations must be a positive whole number; got ${alternations}`);
  if (sides.length === 0) throw new Error('an interleaving plan needs at least one side');
  return Array.from({ length: alternations }, (_, i) => sides.map((_, j) => sides[(i + j) % sides.length]!));
}

/** Relative disagreement of two positive figures: larger / smaller − 1 (0.1 is "within 10%"). NaN when either is missing. */
export function disagreement(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a <= 0 || b <= 0) return Number.NaN;
  return Math.max(a, b) / Math.min(a, b) - 1;
}

export interface StabilityCheck {
  key: string;
  values: number[];
  /** Largest disagreement between two consecutive runs. */
  worst: number;
  agrees: boolean;
}

export interface StabilityVerdict {
  /** False with fewer than two runs: nothing was compared. */
  compared: boolean;
  stable: boolean;
  tolerance: number;
  checks: StabilityCheck[];
}

/**
 * Whether consecutive runs agree on every figure within the tolerance. A figure missing in a run
 * (NaN) counts as disagreeing: an unmeasured figure cannot be called stable.
 */
export function stabilityVerdict(runs: readonly Readonly<Record<string, number>>[], keys: readonly string[], tolerance = 0.1): StabilityVerdict {
  if (runs.length < 2) return { compared: false, stable: false, tolerance, checks: [] };
  const checks = keys.map((key) => {
    const values = runs.map((r) => r[key] ?? Number.NaN);
    let worst = 0;
    for (let i = 1; i < values.length; i++) {
      const d = disagreement(values[i - 1]!, values[i]!);
      worst = Number.isNaN(d) || Number.isNaN(worst) ? Number.NaN : Math.max(worst, d);
    }
    return { key, values, worst, agrees: Number.isFinite(worst) && worst <= tolerance };
  });
  return { compared: true, stable: checks.every((c) => c.agrees), tolerance, checks };
}

/** One line for the terminal: the verdict, and each figure that disagreed. */
export function stabilityLine(v: StabilityVerdict): string {
  if (!v.compared) return 'stability: one run only; pass --repeat 2 to check that consecutive runs agree';
  const pct = `${Math.round(v.tolerance * 100)}%`;
  const runs = v.checks[0]?.values.length ?? 0;
  if (v.stable) return `stability: STABLE, ${runs} consecutive runs agree within ${pct} on every ratio`;
  const off = v.checks
    .filter((c) => !c.agrees)
    .map((c) => `${c.key} ${c.values.map((x) => (Number.isFinite(x) ? x.toFixed(2) : '—')).join(' vs ')}${Number.isFinite(c.worst) ? ` (${Math.round(c.worst * 100)}% apart)` : ''}`);
  return `stability: NOT STABLE, ${runs} consecutive runs differ by more than ${pct} on ${off.join('; ')}`;
}

export function fmt(value: number, digits = 1, unit = ''): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)}${unit}` : '—';
}

/** A plain text table: the first column left-aligned, the others right-aligned, each padded to its widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const r of rows) if (r.length !== header.length) throw new Error(`a table row has ${r.length} cells, the header ${header.length}`);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

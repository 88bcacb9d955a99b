// The verdict table: one row per claim, with the expected range, what was observed, and pass/fail.
import { expectedRange, shareClaimCount, type Claim } from './claims.ts';

export interface Observation {
  /** For Rate metrics and runner-side counts: hits out of n. */
  successes?: number;
  n?: number;
  /** For Counter metrics. */
  count?: number;
  /** For Trend metrics: stat → value (ms). */
  stats?: Record<string, number>;
}

export interface VerdictRow {
  claim: string;
  expected: string;
  observed: string;
  pass: boolean;
}

/** The slice of k6's summary data we read: metrics[name].values (handleSummary) or the flat --summary-export shape. */
export interface K6Summary {
  metrics?: Record<string, { type?: string; values?: Record<string, number>; [k: string]: unknown }>;
}

export function observationFromSummary(summary: K6Summary, metric: string): Observation | undefined {
  const m = summary.metrics?.[metric];
  if (!m) return undefined;
  const v = (m.values ?? m) as Record<string, unknown>;
  const num = (k: string): number | undefined => (typeof v[k] === 'number' ? (v[k] as number) : undefined);
  const passes = num('passes');
  const fails = num('fails');
  if (passes !== undefined && fails !== undefined) return { successes: passes, n: passes + fails };
  const stats: Record<string, number> = {};
  for (const [k, value] of Object.entries(v)) if (typeof value === 'number') stats[k] = value;
  const count = num('count');
  return { ...(count !== undefined ? { count } : {}), stats };
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/**
 * The mirror target's count as an observation over the served primaries: copies of primaries that
 * failed may arrive too, so a count above the served ones is fine up to every primary sent; beyond
 * that the counter saw traffic that was not a copy, and the claim fails.
 */
export function mirrorObservation(received: number, served: number, sent: number): Observation {
  return { successes: received > sent ? received : Math.min(received, served), n: served };
}

export function evaluateClaim(claim: Claim, obs: Observation | undefined, shareClaims: number): VerdictRow {
  const missing = (expected: string): VerdictRow => ({ claim: claim.title, expected, observed: 'no samples', pass: false });
  switch (claim.kind) {
    case 'share': {
      if (!obs || obs.successes === undefined || !obs.n) return missing(`${pct(claim.p)}, n ≥ ${claim.minSamples}`);
      const r = expectedRange(claim, obs.n, shareClaims);
      const share = obs.successes / obs.n;
      const enough = obs.n >= claim.minSamples;
      const expected =
        claim.side === 'lower' ? `≥ ${pct(r.lo)} (p=${pct(claim.p)})` : claim.side === 'upper' ? `≤ ${pct(r.hi)} (p=${pct(claim.p)})` : r.lo === r.hi ? `exactly ${pct(r.lo)}` : `${pct(r.lo)} – ${pct(r.hi)} (p=${pct(claim.p)})`;
      return {
        claim: claim.title,
        expected: `${expected}, n ≥ ${claim.minSamples}`,
        observed: `${pct(share)} (${obs.successes}/${obs.n})`,
        pass: enough && share >= r.lo - 1e-12 && share <= r.hi + 1e-12,
      };
    }
    case 'rate-at-least':
    case 'rate-at-most': {
      const expected = `${claim.kind === 'rate-at-least' ? '≥' : '≤'} ${pct(claim.limit)}`;
      if (!obs || obs.successes === undefined || !obs.n) return missing(expected);
      const rate = obs.successes / obs.n;
      return { claim: claim.title, expected, observed: `${pct(rate)} (${obs.successes}/${obs.n})`, pass: claim.kind === 'rate-at-least' ? rate >= claim.limit : rate <= claim.limit };
    }
    case 'count-at-least': {
      const expected = `≥ ${claim.limit}`;
      const count = obs?.count ?? obs?.successes;
      if (count === undefined) return missing(expected);
      return { claim: claim.title, expected, observed: String(count), pass: count >= claim.limit };
    }
    case 'count-at-most': {
      const expected = `≤ ${claim.limit}`;
      const count = obs?.count ?? obs?.successes;
      if (count === undefined) return missing(expected);
      return { claim: claim.title, expected, observed: String(count), pass: count <= claim.limit };
    }
    case 'trend-at-most': {
      const expected = `${claim.stat} ≤ ${claim.limit} ms`;
      const value = obs?.stats?.[claim.stat];
      if (value === undefined) return missing(expected);
      return { claim: claim.title, expected, observed: `${claim.stat} = ${Math.round(value)} ms`, pass: value <= claim.limit };
    }
  }
}

/** Evaluates every claim: k6-measured ones from the summaries, runner-side ones from `external`. */
export function verdict(claims: readonly Claim[], summaries: readonly K6Summary[], external: Record<string, Observation> = {}): VerdictRow[] {
  const shareClaims = shareClaimCount(claims);
  return claims.map((c) => {
    const found = summaries.map((s) => observationFromSummary(s, c.id)).filter((o): o is Observation => o !== undefined);
    // A count spread over several Jobs (one per role) is their sum.
    const summed: Observation | undefined = c.kind === 'count-at-most' && found.length > 1 ? { count: found.reduce((sum, o) => sum + (o.count ?? 0), 0) } : found[0];
    const obs = external[c.id] ?? summed;
    return evaluateClaim(c, obs, shareClaims);
  });
}

export function formatVerdict(rows: readonly VerdictRow[]): string {
  const head: VerdictRow = { claim: 'claim', expected: 'expected', observed: 'observed', pass: true };
  const w = (k: 'claim' | 'expected' | 'observed'): number => Math.max(...[head, ...rows].map((r) => r[k].length));
  const line = (r: VerdictRow, verdictText: string): string => `${r.claim.padEnd(w('claim'))}  ${r.expected.padEnd(w('expected'))}  ${r.observed.padEnd(w('observed'))}  ${verdictText}`;
  return [line(head, 'verdict'), ...rows.map((r) => line(r, r.pass ? 'PASS' : 'FAIL'))].join('\n');
}

/** What handleSummary writes: the JSON summary to the runner's path, or to stdout between markers (in-cluster Jobs). */
export const SUMMARY_BEGIN = '<<<SHOPMESH-K6-SUMMARY';
export const SUMMARY_END = 'SHOPMESH-K6-SUMMARY>>>';

export function summaryOutputs(data: unknown, summaryPath: string | undefined): Record<string, string> {
  const json = JSON.stringify(data);
  return summaryPath ? { [summaryPath]: json, stdout: `summary written to ${summaryPath}\n` } : { stdout: `\n${SUMMARY_BEGIN}\n${json}\n${SUMMARY_END}\n` };
}

/** Finds the summary a Job printed among its log lines. */
export function summaryFromLog(log: string): K6Summary | undefined {
  const start = log.lastIndexOf(SUMMARY_BEGIN);
  if (start < 0) return undefined;
  const end = log.indexOf(SUMMARY_END, start);
  if (end < 0) return undefined;
  return JSON.parse(log.slice(start + SUMMARY_BEGIN.length, end).trim()) as K6Summary;
}

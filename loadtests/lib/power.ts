// The power check: before any load, every share claim must be able to tell p from what a broken
// mesh would show (nothing at all, or twice p), at the run's stated error rate, with the samples
// its plan sends. An edited overlay that asks for too little (a 0.5% abort at 40/s) is refused with
// the numbers, instead of running a test whose band also holds a mesh with no fault at all.
import { claimsFor, breakerWindow, loadPlan, minSamples, shareClaimCount, type Alternative, type Claim, type Phase } from './claims.ts';
import type { Expectations } from './expectations.ts';
import { FALSE_FAIL_PER_RUN, binomialCdf, designAlternative, toleranceBand } from './stats.ts';

export interface PowerRow {
  id: string;
  p: number;
  n: number;
  /** The accepted share range at n (slack included). */
  band: { lo: number; hi: number };
  /** The planned rate of the phase that sets n, when a phase does. */
  rate?: number;
  durationS?: number;
  alternatives: (Alternative & { passProbability: number })[];
  /** A broken mesh passes less often than the run's false-fail budget allows a correct one to fail. */
  ok: boolean;
  /** When not ok: the smallest rate (same duration) that would do, if one below 10,000/s does. */
  neededRate?: number;
}

type ShareClaim = Extract<Claim, { kind: 'share' }>;

/** What a broken mesh shows instead of p: the claim's own list, or nothing at all and twice p. */
export function alternativesOf(c: ShareClaim): Alternative[] {
  if (c.alternatives) return c.alternatives;
  if (c.p <= 0 || c.p >= 1) return [];
  return [
    { share: 0, why: 'none of it (the config is not there)' },
    ...(c.side === 'both' ? [{ share: designAlternative(c.p), why: c.p <= 0.5 ? 'twice p' : 'the misses doubled' }] : []),
  ];
}

/** Counts accepted at n: the band, with slack, as whole counts. */
function acceptedCounts(c: ShareClaim, n: number, shareClaims: number): { lo: number; hi: number } {
  const band = toleranceBand(c.p, n, shareClaims * (c.tests ?? 1));
  const slack = (c.slack ?? 0) * n;
  const lo = c.side === 'upper' ? 0 : Math.max(0, Math.ceil(band.loCount - slack - 1e-9));
  const hi = c.side === 'lower' ? n : Math.min(n, Math.floor(band.hiCount + slack + 1e-9));
  return { lo, hi };
}

/** P(a mesh at share `a` lands inside [lo, hi] out of n). */
export function passProbability(a: number, n: number, lo: number, hi: number): number {
  if (hi < lo) return 0;
  return Math.max(0, binomialCdf(hi, n, a) - binomialCdf(lo - 1, n, a));
}

function rowAt(c: ShareClaim, n: number, shareClaims: number, beta: number): Omit<PowerRow, 'rate' | 'durationS' | 'neededRate'> {
  const counts = acceptedCounts(c, n, shareClaims);
  const alternatives = alternativesOf(c).map((a) => ({ ...a, passProbability: passProbability(a.share, n, counts.lo, counts.hi) }));
  return { id: c.id, p: c.p, n, band: { lo: counts.lo / n, hi: counts.hi / n }, alternatives, ok: alternatives.every((a) => a.passProbability <= beta) };
}

/** The power of every share claim of a plan; `ok` rows can tell p from each broken alternative. */
export function powerCheck(claims: readonly Claim[], phases: readonly Phase[]): PowerRow[] {
  const shareClaims = shareClaimCount(claims);
  const beta = FALSE_FAIL_PER_RUN / shareClaims;
  return claims
    .filter((c): c is ShareClaim => c.kind === 'share')
    .map((c) => {
      const phase = c.phase ? phases.find((p) => p.name === c.phase) : undefined;
      const row: PowerRow = { ...rowAt(c, c.minSamples, shareClaims, beta), ...(phase ? { rate: phase.rate, durationS: phase.durationS } : {}) };
      if (row.ok || !phase) return row;
      // The smallest rate that would do: the check is monotone in n, so bisect over the rate.
      const at = (rate: number) => rowAt(c, minSamples({ ...phase, rate }), shareClaims, beta).ok;
      let lo = phase.rate;
      let hi = 10_000;
      if (!at(hi)) return row;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (at(mid)) hi = mid;
        else lo = mid;
      }
      return { ...row, neededRate: hi };
    });
}

const pct = (v: number): string => `${Number((v * 100).toFixed(3))}%`;

/** One line per refused claim: p, n, the band, what a broken mesh would pass with, and the rate it would need. */
export function formatRefusal(r: PowerRow): string {
  const weak = r.alternatives.filter((a) => a.passProbability > 0).map((a) => `a mesh at ${pct(a.share)} (${a.why}) passes with probability ${Number(a.passProbability.toPrecision(2))}`);
  const need = r.neededRate !== undefined ? `; it needs ≥ ${r.neededRate}/s for ${r.durationS} s (the plan sends ${r.rate}/s)` : r.rate !== undefined ? `; no rate up to 10000/s for ${r.durationS} s would do` : '';
  return `${r.id}: p=${pct(r.p)}, n=${r.n}, band ${pct(r.band.lo)}–${pct(r.band.hi)}: ${weak.join('; ')}${need}`;
}

/** Reasons a plan has no power, or no honest window: empty when the run may start. */
export function planRefusals(e: Expectations, phases: readonly Phase[] = loadPlan(e), claims: readonly Claim[] = claimsFor(e, phases)): string[] {
  const out = powerCheck(claims, phases).filter((r) => !r.ok).map(formatRefusal);
  if (e.scenario === 'breaker') {
    const w = breakerWindow(e, phases);
    if (w.marginS <= 0) {
      out.push(
        `breaker_outlier_ok: the ejected pod may return at ${w.returnS} s (baseEjectionTime ${e.outlier.baseEjectionTimeMs / 1000} s, counted from the readiness probe), inside the counted window ${w.fromS}–${w.toS} s: set baseEjectionTime above ${w.toS + (e.outlier.baseEjectionTimeMs / 1000 - w.returnS)} s`,
      );
    }
  }
  return out;
}

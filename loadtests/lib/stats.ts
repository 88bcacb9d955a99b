// Binomial tolerance bands: how far an observed share may stray from the share the overlay
// promises before we call the mesh wrong. Pure arithmetic, no k6 imports, so node:test covers it.

/** A correct mesh may fail one run's claims, all taken together, less often than this. */
export const FALSE_FAIL_PER_RUN = 1e-4;

/** Φ⁻¹(q): the standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`normalQuantile needs 0 < q < 1, got ${q}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (q < low) {
    const r = Math.sqrt(-2 * Math.log(q));
    return (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) / ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
  }
  if (q > 1 - low) return -normalQuantile(1 - q);
  const s = q - 0.5;
  const r = s * s;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * s) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The two-sided z for one claim when a run checks `claims` claims (Bonferroni: the run's budget is split evenly). */
export function zFor(claims = 1, falseFailPerRun = FALSE_FAIL_PER_RUN): number {
  if (!Number.isInteger(claims) || claims < 1) throw new RangeError(`claims must be a positive integer, got ${claims}`);
  return normalQuantile(1 - falseFailPerRun / claims / 2);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n || !Number.isInteger(k)) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += binomialPmf(i, n, p);
  return Math.min(1, sum);
}

export interface Band {
  /** The share the overlay promises. */
  p: number;
  /** Sample count the band was sized for. */
  n: number;
  z: number;
  lo: number;
  hi: number;
  /** Counts: a run passes when loCount ≤ successes ≤ hiCount. */
  loCount: number;
  hiCount: number;
}

function checkShare(p: number, n: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a share must lie in [0, 1], got ${p}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a band needs at least one sample, got n=${n}`);
}

/**
 * The band `p ± z·sqrt(p(1−p)/n)`, widened where needed to the exact binomial acceptance region, so the
 * false-fail probability stays below the target for small n and shares near 0 or 1 too (where the normal
 * approximation is lopsided). p = 0 and p = 1 are exact: a single stray response fails the claim.
 */
export function toleranceBand(p: number, n: number, claims = 1, falseFailPerRun = FALSE_FAIL_PER_RUN): Band {
  checkShare(p, n);
  const z = zFor(claims, falseFailPerRun);
  if (p === 0 || p === 1) return { p, n, z, lo: p, hi: p, loCount: p * n, hiCount: p * n };
  const tail = falseFailPerRun / claims / 2;
  const half = z * Math.sqrt((p * (1 - p)) / n);
  // Exact region: the largest loCount with P(X < loCount) ≤ tail, the smallest hiCount with P(X > hiCount) ≤ tail.
  let loCount = 0;
  let cdf = 0;
  for (let k = 0; k <= n; k++) {
    cdf += binomialPmf(k, n, p);
    if (cdf > tail) break;
    loCount = k + 1;
  }
  let hiCount = n;
  let upper = 0;
  for (let k = n; k >= 0; k--) {
    upper += binomialPmf(k, n, p);
    if (upper > tail) break;
    hiCount = k - 1;
  }
  loCount = Math.min(loCount, Math.ceil((p - half) * n - 1e-9));
  hiCount = Math.max(hiCount, Math.floor((p + half) * n + 1e-9));
  loCount = Math.max(0, loCount);
  hiCount = Math.min(n, hiCount);
  return { p, n, z, lo: loCount / n, hi: hiCount / n, loCount, hiCount };
}

/** Whether `successes` out of `n` lies inside the band for p (sized for this n). */
export function withinBand(successes: number, n: number, p: number, claims = 1): boolean {
  const band = toleranceBand(p, n, claims);
  return successes >= band.loCount && successes <= band.hiCount;
}

/** The share a broken mesh would show instead of p: twice p, or for p > ½ the failures doubled. */
export function designAlternative(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`the design margin needs 0 < p < 1, got ${p}`);
  return p <= 0.5 ? 2 * p : 2 * p - 1;
}

/** Requests needed so that the bands around p and its design alternative (2p) do not overlap. */
export function sampleSizeToTell(p: number, claims = 1, q = designAlternative(p)): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`sampleSizeToTell needs 0 < p < 1, got ${p}`);
  if (!(q >= 0 && q <= 1) || q === p) throw new RangeError(`the alternative must be another share in [0, 1], got ${q}`);
  const z = zFor(claims);
  const spread = Math.sqrt(p * (1 - p)) + Math.sqrt(q * (1 - q));
  return Math.ceil(((z * spread) / Math.abs(q - p)) ** 2);
}

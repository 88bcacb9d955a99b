import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialCdf, binomialPmf, designAlternative, logGamma, normalQuantile, sampleSizeToTell, toleranceBand, withinBand, zFor, FALSE_FAIL_PER_RUN } from './stats.ts';

/** mulberry32: a small seeded generator, so the simulations are the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const draw = (rand: () => number, n: number, p: number): number => {
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
};

test('normal quantiles match the tables', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.995) - 2.575829) < 1e-6);
  assert.ok(Math.abs(normalQuantile(1 - 5e-5) - 3.890592) < 1e-5);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
  assert.throws(() => normalQuantile(1), RangeError);
});

test('z splits the per-run budget across the claims checked (two-sided)', () => {
  assert.ok(Math.abs(zFor(1) - 3.890592) < 1e-5);
  assert.ok(Math.abs(zFor(2) - normalQuantile(1 - FALSE_FAIL_PER_RUN / 4)) < 1e-12);
  assert.ok(zFor(4) > zFor(2) && zFor(2) > zFor(1));
});

test('binomial pmf and cdf give known values', () => {
  assert.ok(Math.abs(binomialCdf(2, 10, 0.5) - 56 / 1024) < 1e-12);
  assert.ok(Math.abs(binomialPmf(5, 10, 0.5) - 252 / 1024) < 1e-12);
  assert.ok(Math.abs(binomialPmf(0, 20, 0.1) - 0.9 ** 20) < 1e-12);
  assert.ok(Math.abs(binomialCdf(1, 3, 0.2) - (0.8 ** 3 + 3 * 0.2 * 0.8 ** 2)) < 1e-12);
  assert.equal(binomialCdf(10, 10, 0.3), 1);
});

test('the band is p ± z·sqrt(p(1−p)/n) when n is large', () => {
  const band = toleranceBand(0.1, 10_000);
  const half = zFor(1) * Math.sqrt((0.1 * 0.9) / 10_000);
  assert.ok(band.lo <= 0.1 - half + 1e-4 && band.lo >= 0.1 - half - 2e-3, `lo ${band.lo}`);
  assert.ok(band.hi >= 0.1 + half - 1e-4 && band.hi <= 0.1 + half + 2e-3, `hi ${band.hi}`);
});

test('p = 0 and p = 1 are exact: one stray response fails', () => {
  assert.deepEqual([toleranceBand(0, 500).lo, toleranceBand(0, 500).hi], [0, 0]);
  assert.deepEqual([toleranceBand(1, 500).lo, toleranceBand(1, 500).hi], [1, 1]);
  assert.equal(withinBand(1, 500, 0), false);
  assert.equal(withinBand(499, 500, 1), false);
  assert.equal(withinBand(500, 500, 1), true);
});

test('the false-fail probability stays under budget, small n and extreme p included', () => {
  for (const [p, n] of [[0.1, 20], [0.01, 50], [0.5, 8], [0.9, 30], [0.1, 900], [0.02, 3000]] as const) {
    const band = toleranceBand(p, n);
    const falseFail = binomialCdf(band.loCount - 1, n, p) + (1 - binomialCdf(band.hiCount, n, p));
    assert.ok(falseFail < FALSE_FAIL_PER_RUN, `p=${p} n=${n}: false fail ${falseFail}`);
  }
});

test('sample size to tell p from 2p: the bands just stop overlapping', () => {
  const n = sampleSizeToTell(0.1);
  const z = zFor(1);
  assert.equal(n, Math.ceil(((z * (Math.sqrt(0.09) + Math.sqrt(0.16))) / 0.1) ** 2));
  const at = (p: number, m: number): [number, number] => [p - z * Math.sqrt((p * (1 - p)) / m), p + z * Math.sqrt((p * (1 - p)) / m)];
  assert.ok(at(0.1, n)[1] <= at(0.2, n)[0] + 1e-9);
  assert.ok(at(0.1, n - 50)[1] > at(0.2, n - 50)[0]);
  assert.equal(designAlternative(0.9), 0.8);
  assert.ok(sampleSizeToTell(0.1, 4) > n);
});

test('seeded simulation: a correct share passes, a share off by the design margin fails', () => {
  const rand = seeded(20260917);
  for (const p of [0.1, 0.25, 0.9]) {
    const n = sampleSizeToTell(p, 2);
    // The band once per share (each mutant reruns this file), and withinBand tied to it at its edges.
    const band = toleranceBand(p, n, 2);
    for (const [count, inside] of [[band.loCount, true], [band.hiCount, true], [band.loCount - 1, false], [band.hiCount + 1, false]] as const) {
      assert.equal(withinBand(count, n, p, 2), inside, `p=${p}: ${count} of ${n}`);
    }
    const passes = (count: number) => count >= band.loCount && count <= band.hiCount;
    let correctFails = 0;
    let brokenPasses = 0;
    for (let run = 0; run < 200; run++) {
      if (!passes(draw(rand, n, p))) correctFails++;
      if (passes(draw(rand, n, designAlternative(p)))) brokenPasses++;
    }
    assert.equal(correctFails, 0, `p=${p}: a correct mesh failed`);
    assert.equal(brokenPasses, 0, `p=${p}: a mesh at ${designAlternative(p)} passed`);
  }
});

test('the lower tail and the small-argument branch of the special functions', () => {
  assert.ok(Math.abs(normalQuantile(0.01) + 2.326347874) < 1e-8, 'the lower tail, computed directly');
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.2) + 0.841621234) < 1e-8, 'the central region below one half');
  assert.ok(Math.abs(normalQuantile(0.97) - 1.880793608) < 1e-8, 'the central region near its upper edge');
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
  assert.ok(Math.abs(logGamma(1)) < 1e-12);
  assert.ok(Math.abs(logGamma(0.25) - Math.log(3.625609908221908)) < 1e-12, 'reflection below ½');
  assert.ok(Math.abs(logGamma(0.5) - Math.log(Math.sqrt(Math.PI))) < 1e-12);
});

test('binomial edge cases: impossible counts have no mass, p = 0 and p = 1 are certain', () => {
  assert.equal(binomialPmf(-1, 10, 0.5), 0);
  assert.equal(binomialPmf(11, 10, 0.5), 0);
  assert.equal(binomialPmf(2.5, 10, 0.5), 0);
  assert.equal(binomialPmf(0, 10, 0), 1);
  assert.equal(binomialPmf(1, 10, 0), 0);
  assert.equal(binomialPmf(10, 10, 1), 1);
  assert.equal(binomialPmf(9, 10, 1), 0);
  assert.ok(Math.abs(binomialPmf(10, 10, 0.5) - 1 / 1024) < 1e-15, 'the top count');
  assert.equal(binomialCdf(-1, 10, 0.5), 0);
  assert.ok(Math.abs(binomialCdf(0, 10, 0.5) - 1 / 1024) < 1e-15, 'P(X ≤ 0) is P(X = 0)');
  assert.ok(Math.abs(binomialCdf(9, 10, 0.5) - 1023 / 1024) < 1e-12, 'just below n sums every count but the last');
  assert.ok(binomialCdf(900, 1000, 0.9) <= 1);
});

test('bad input is refused with a RangeError, not turned into a band', () => {
  for (const q of [0, 1, -0.1, 1.1, NaN]) assert.throws(() => normalQuantile(q), RangeError, `q=${q}`);
  for (const claims of [0, -1, 1.5, NaN]) assert.throws(() => zFor(claims), RangeError, `claims=${claims}`);
  for (const [p, n] of [[-0.01, 10], [1.01, 10], [NaN, 10], [0.5, 0], [0.5, 2.5], [0.5, -3]] as const) {
    assert.throws(() => toleranceBand(p, n), RangeError, `p=${p} n=${n}`);
  }
  assert.doesNotThrow(() => toleranceBand(0.5, 1));
  for (const p of [0, 1, -0.2, NaN]) {
    assert.throws(() => designAlternative(p), RangeError, `p=${p}`);
    assert.throws(() => sampleSizeToTell(p), RangeError, `p=${p}`);
  }
  for (const q of [0.2, -0.1, 1.1, NaN]) assert.throws(() => sampleSizeToTell(0.2, 1, q), RangeError, `q=${q}`);
  for (const p of [0, 1]) assert.throws(() => sampleSizeToTell(p, 1, 0.5), RangeError, `p=${p} with an explicit alternative`);
  assert.doesNotThrow(() => sampleSizeToTell(0.2, 1, 0));
  assert.doesNotThrow(() => sampleSizeToTell(0.2, 1, 1));
});

test('the band is tight: each bound is the exact binomial one or the normal one, whichever is wider, and no wider', () => {
  for (const claims of [1, 4]) {
    const tail = FALSE_FAIL_PER_RUN / claims / 2;
    for (const [p, n] of [[0.1, 20], [0.01, 50], [0.5, 8], [0.9, 30], [0.1, 900], [0.02, 3000], [0.3, 200], [0.75, 400], [0.9, 1000], [0.95, 500]] as const) {
      const band = toleranceBand(p, n, claims);
      const half = zFor(claims) * Math.sqrt((p * (1 - p)) / n);
      const normalLo = Math.ceil((p - half) * n - 1e-9);
      const normalHi = Math.floor((p + half) * n + 1e-9);
      const at = `claims=${claims} p=${p} n=${n} band=[${band.loCount}, ${band.hiCount}]`;
      // Inside the budget on each side...
      assert.ok(binomialCdf(band.loCount - 1, n, p) <= tail, `${at}: lower tail within budget`);
      assert.ok(1 - binomialCdf(band.hiCount, n, p) <= tail + 1e-12, `${at}: upper tail within budget`);
      // ...never narrower than the normal band...
      assert.ok(band.loCount <= Math.max(0, normalLo) && band.hiCount >= Math.min(n, normalHi), `${at}: inside the normal band ${normalLo}..${normalHi}`);
      // ...and one count narrower would break the budget, unless the normal band already asks for this width.
      assert.ok(band.loCount === 0 || binomialCdf(band.loCount, n, p) > tail || band.loCount + 1 > normalLo, `${at}: lower bound could be higher`);
      assert.ok(band.hiCount === n || 1 - binomialCdf(band.hiCount - 1, n, p) > tail || band.hiCount - 1 < normalHi, `${at}: upper bound could be lower`);
      assert.equal(band.lo, band.loCount / n);
      assert.equal(band.hi, band.hiCount / n);
      assert.deepEqual([band.p, band.n, band.z], [p, n, zFor(claims)]);
    }
  }
});

test('known bands: the exact region where the normal band is lopsided, the normal band where n is large', () => {
  // p = 0.5, n = 8: even 0 or 8 successes happen with 1/256 > 5e-5, so every count is accepted.
  assert.deepEqual([toleranceBand(0.5, 8).loCount, toleranceBand(0.5, 8).hiCount], [0, 8]);
  // p = 0.01, n = 50: zero successes is likely (0.605), and P(X > 5) ≈ 1.4e-5 is under the tail.
  const rare = toleranceBand(0.01, 50);
  assert.equal(rare.loCount, 0);
  assert.equal(1 - binomialCdf(rare.hiCount, 50, 0.01) <= FALSE_FAIL_PER_RUN / 2, true);
  assert.equal(1 - binomialCdf(rare.hiCount - 1, 50, 0.01) > FALSE_FAIL_PER_RUN / 2, true, 'the exact region, not the normal band, sets the upper bound');
  // p = 0.3, n = 10 000: the exact region and the normal band agree within a count.
  const big = toleranceBand(0.3, 10_000);
  const half = zFor(1) * Math.sqrt(0.21 / 10_000) * 10_000;
  assert.ok(Math.abs(big.loCount - (3000 - half)) <= 2 && Math.abs(big.hiCount - (3000 + half)) <= 2, `${big.loCount}..${big.hiCount} vs 3000 ± ${half}`);
  // Counts for p = 0 and p = 1 scale with n.
  assert.deepEqual([toleranceBand(1, 37).loCount, toleranceBand(1, 37).hiCount], [37, 37]);
  assert.deepEqual([toleranceBand(0, 37).loCount, toleranceBand(0, 37).hiCount], [0, 0]);
});

test('withinBand accepts exactly the counts between the bounds, and splits the budget by claims', () => {
  const band = toleranceBand(0.3, 200, 3);
  assert.equal(withinBand(band.loCount, 200, 0.3, 3), true);
  assert.equal(withinBand(band.hiCount, 200, 0.3, 3), true);
  assert.equal(withinBand(band.loCount - 1, 200, 0.3, 3), false);
  assert.equal(withinBand(band.hiCount + 1, 200, 0.3, 3), false);
  const single = toleranceBand(0.3, 200, 1);
  assert.ok(band.loCount < single.loCount && band.hiCount > single.hiCount, 'three claims: each band wider');
  assert.equal(withinBand(single.loCount - 1, 200, 0.3), false, 'the default is one claim');
});

test('the design alternative doubles the rarer outcome; the sample size follows the alternative given', () => {
  assert.equal(designAlternative(0.5), 1);
  assert.equal(designAlternative(0.2), 0.4);
  assert.ok(Math.abs(designAlternative(0.75) - 0.5) < 1e-12);
  const z = zFor(2);
  const spread = Math.sqrt(0.3 * 0.7) + Math.sqrt(0.1 * 0.9);
  assert.equal(sampleSizeToTell(0.3, 2, 0.1), Math.ceil(((z * spread) / 0.2) ** 2), 'an alternative below p');
  assert.equal(sampleSizeToTell(0.5, 1, 1), Math.ceil(((zFor(1) * 0.5) / 0.5) ** 2));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialCdf, binomialPmf, designAlternative, normalQuantile, sampleSizeToTell, toleranceBand, withinBand, zFor, FALSE_FAIL_PER_RUN } from './stats.ts';

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
    let correctFails = 0;
    let brokenPasses = 0;
    for (let run = 0; run < 200; run++) {
      if (!withinBand(draw(rand, n, p), n, p, 2)) correctFails++;
      if (withinBand(draw(rand, n, designAlternative(p)), n, p, 2)) brokenPasses++;
    }
    assert.equal(correctFails, 0, `p=${p}: a correct mesh failed`);
    assert.equal(brokenPasses, 0, `p=${p}: a mesh at ${designAlternative(p)} passed`);
  }
});

// The power check's edges: which broken meshes a claim must tell apart, how one-sided claims and slack
// move the accepted counts, which phase sizes a row, a claim no rate can save, and the breaker window
// at its boundary. (power.test.ts covers the shipped scenarios.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Claim, Phase } from './claims.ts';
import type { BreakerExpectations } from './expectations.ts';
import { alternativesOf, formatRefusal, passProbability, planRefusals, powerCheck } from './power.ts';
import { binomialCdf, binomialPmf, designAlternative, FALSE_FAIL_PER_RUN, toleranceBand } from './stats.ts';
import { breakerExpectations } from '../../test/support/expectations.ts';

type Share = Extract<Claim, { kind: 'share' }>;
const share = (p: number, extra: Partial<Share> = {}): Share => ({ id: 's', title: 's', kind: 'share', p, minSamples: 400, side: 'both', ...extra });
const phase = (name: string, rate: number): Phase => ({ name, rate, durationS: 50, startS: 0, preAllocatedVUs: 2, maxVUs: 4 });

test('the foils: none of it and twice p (or the misses doubled above ½); exact claims have none; a claim may name its own', () => {
  assert.deepEqual(alternativesOf(share(0)), []);
  assert.deepEqual(alternativesOf(share(1)), []);
  const low = alternativesOf(share(0.3));
  assert.deepEqual(low.map((a) => a.share), [0, 0.6]);
  const half = alternativesOf(share(0.5));
  assert.deepEqual(half.map((a) => a.share), [0, 1]);
  const high = alternativesOf(share(0.8));
  assert.deepEqual(high.map((a) => a.share), [0, designAlternative(0.8)]);
  assert.notEqual(half[1]!.why, high[1]!.why, 'above ½ the doubled share is of the misses, and it says so');
  assert.equal(low[1]!.why, half[1]!.why);
  assert.deepEqual(alternativesOf(share(0.3, { side: 'lower' })).map((a) => a.share), [0], 'a lower-bound claim has no upper foil');
  const own = [{ share: 0.7, why: 'no retries' }];
  assert.equal(alternativesOf(share(0.97, { alternatives: own })), own);
});

test('pass probability: the binomial mass of the accepted counts; an empty range passes nothing', () => {
  assert.equal(passProbability(0.5, 10, 6, 5), 0);
  assert.ok(Math.abs(passProbability(0.5, 10, 5, 5) - binomialPmf(5, 10, 0.5)) < 1e-15, 'a single accepted count');
  assert.ok(Math.abs(passProbability(0.3, 50, 10, 20) - (binomialCdf(20, 50, 0.3) - binomialCdf(9, 50, 0.3))) < 1e-15);
  assert.equal(passProbability(0.3, 50, 0, 50), 1);
});

test('rows: the band in shares, one-sided claims open on one side, slack in counts, the n of the claim', () => {
  const band = toleranceBand(0.3, 400, 1);
  const [both] = powerCheck([share(0.3)], []);
  assert.deepEqual([both!.n, both!.band.lo, both!.band.hi], [400, band.loCount / 400, band.hiCount / 400]);
  const [lower] = powerCheck([share(0.3, { side: 'lower' })], []);
  assert.deepEqual([lower!.band.lo, lower!.band.hi], [band.loCount / 400, 1]);
  const [upper] = powerCheck([share(0.3, { side: 'upper' })], []);
  assert.deepEqual([upper!.band.lo, upper!.band.hi], [0, band.hiCount / 400]);
  const [slack] = powerCheck([share(0.3, { slack: 0.02 })], []);
  assert.deepEqual([slack!.band.lo, slack!.band.hi], [(band.loCount - 8) / 400, (band.hiCount + 8) / 400], '2% of 400 samples is 8 counts each way');
  // More share claims, a smaller budget each: every band is wider.
  const [one] = powerCheck([share(0.3), share(0.5, { id: 't' }), share(0.7, { id: 'u' })], []);
  assert.ok(one!.band.lo < both!.band.lo && one!.band.hi > both!.band.hi);
  // The busiest of m pods is m comparisons: wider still.
  const [busiest] = powerCheck([share(0.3, { tests: 3 })], []);
  assert.deepEqual(busiest!.band, powerCheck([share(0.3), share(0.5, { id: 't' }), share(0.7, { id: 'u' })], [])[0]!.band);
});

test('a row is ok only when every foil is rejected; the rate is that of the claim\'s own phase', () => {
  // n = 400 rejects 0 but not 0.31: one weak foil makes the row weak.
  const [mixed] = powerCheck([share(0.3, { alternatives: [{ share: 0, why: 'none' }, { share: 0.31, why: 'close' }] })], []);
  assert.equal(mixed!.ok, false);
  assert.deepEqual(mixed!.alternatives.map((a) => a.passProbability < 1e-6), [true, false]);
  const phases = [phase('first', 7), phase('traffic', 40)];
  const [row] = powerCheck([share(0.3, { phase: 'traffic', minSamples: 1600 })], phases);
  assert.deepEqual([row!.ok, row!.rate, row!.durationS, row!.neededRate], [true, 40, 50, undefined], 'a powerful row names its phase and needs nothing');
  const [noPhase] = powerCheck([share(0.3, { minSamples: 20 })], phases);
  assert.deepEqual([noPhase!.ok, noPhase!.rate, noPhase!.neededRate], [false, undefined, undefined], 'without a phase there is no rate to raise');
});

test('the rate a weak claim needs, and a claim no rate can save', () => {
  const phases = [phase('traffic', 2)];
  const [weak] = powerCheck([share(0.3, { phase: 'traffic', minSamples: 80 })], phases);
  assert.equal(weak!.ok, false);
  assert.ok(weak!.neededRate! > 2 && weak!.neededRate! <= 10_000);
  assert.match(formatRefusal(weak!), new RegExp(`it needs ≥ ${weak!.neededRate}/s for 50 s \\(the plan sends 2/s\\)$`));
  // A foil equal to p itself can never be told apart.
  const [hopeless] = powerCheck([share(0.3, { phase: 'traffic', minSamples: 80, alternatives: [{ share: 0.3, why: 'the same' }] })], phases);
  assert.deepEqual([hopeless!.ok, hopeless!.neededRate], [false, undefined]);
  assert.match(formatRefusal(hopeless!), /; no rate up to 10000\/s for 50 s would do$/);
  const [unsized] = powerCheck([share(0.3, { minSamples: 80, alternatives: [{ share: 0.3, why: 'the same' }] })], []);
  assert.doesNotMatch(formatRefusal(unsized!), /rate|needs/, 'no phase, no rate advice');
  // Only foils that could pass are named.
  const line = formatRefusal({ ...weak!, alternatives: [{ share: 0, why: 'gone', passProbability: 0 }, { share: 0.6, why: 'doubled', passProbability: 0.25 }, { share: 0.9, why: 'far', passProbability: 0.5 }] });
  assert.doesNotMatch(line, /gone/);
  assert.match(line, /doubled\) passes with probability 0\.25; a mesh at 90% \(far\) passes with probability 0\.5/);
  assert.ok(FALSE_FAIL_PER_RUN > 0);
});

const breaker = breakerExpectations;

test('breaker: a pod that may return exactly as the window closes is refused; a second later is fine', () => {
  // returnS = base − 60 s readiness − 20 s k6 start; the window closes at 40 s.
  const [atEdge] = planRefusals(breaker(120_000));
  assert.match(atEdge!, /may return at 40 s \(baseEjectionTime 120 s, .*set baseEjectionTime above 120 s$/);
  assert.deepEqual(planRefusals(breaker(121_000)), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakerWindow, claimsFor, loadPlan } from './claims.ts';
import type { BreakerExpectations, FaultExpectations, LbExpectations, RetriesExpectations } from './expectations.ts';
import { powerCheck, planRefusals } from './power.ts';
import { breakerExpectations } from '../../test/support/expectations.ts';

const fault = (abortShare: number): FaultExpectations => ({ scenario: 'fault', service: 'products', abort: { share: abortShare, status: 500 }, delay: { share: 0.2, ms: 1000 } });

test('a 0.5% fault abort is refused before any load, with p, n, the band and the rate it would need', () => {
  const refusals = planRefusals(fault(0.005));
  assert.equal(refusals.length, 1);
  const [line] = refusals;
  assert.match(line!, /^fault_aborted: p=0\.5%, n=1920, band 0%–1\.25%/);
  assert.match(line!, /a mesh at 0% \(none of it \(the config is not there\)\) passes with probability 1/);
  assert.match(line!, /it needs ≥ (\d+)\/s for 60 s \(the plan sends 40\/s\)/);
  const needed = Number(/needs ≥ (\d+)\/s/.exec(line!)![1]);
  // The rate it names really has the power, one less does not.
  const phases = loadPlan(fault(0.005));
  const at = (rate: number) => powerCheck(claimsFor(fault(0.005), phases.map((p) => ({ ...p, rate }))), phases.map((p) => ({ ...p, rate }))).find((r) => r.id === 'fault_aborted')!;
  assert.equal(at(needed).ok, true);
  assert.equal(at(needed - 1).ok, false);
});

test('the shipped fault shares (abort 10%, delay 20%) have power: neither 0 nor 2p passes', () => {
  assert.deepEqual(planRefusals(fault(0.1)), []);
  const rows = powerCheck(claimsFor(fault(0.1)), loadPlan(fault(0.1)));
  const abort = rows.find((r) => r.id === 'fault_aborted')!;
  assert.equal(abort.alternatives.length, 2);
  assert.ok(abort.band.lo > 0, 'the band excludes a mesh without the fault');
  assert.ok(abort.band.hi < 0.2, 'the band excludes twice the share');
  assert.ok(abort.alternatives.every((a) => a.passProbability < 1e-4));
  assert.equal(abort.rate, loadPlan(fault(0.1))[0]!.rate);
});

test('retries: the order success claim must reject a mesh without retries (1 − q), not 0 or 2p', () => {
  const e: RetriesExpectations = { scenario: 'retries', service: 'payments', attempts: 5, retryOn: '5xx', errorShare: 0.3, errorStatus: 503, retried: true, successShare: 1 - 0.3 ** 6 };
  const row = powerCheck(claimsFor(e), loadPlan(e)).find((r) => r.id === 'retries_order_ok')!;
  assert.deepEqual(row.alternatives.map((a) => a.share), [0.7]);
  assert.equal(row.ok, true);
  // With a single attempt and a 0.1% error share, one failure more or less cannot be told from no retries.
  const weak: RetriesExpectations = { ...e, attempts: 1, errorShare: 0.001, successShare: 1 - 0.001 ** 2 };
  assert.equal(powerCheck(claimsFor(weak), loadPlan(weak)).find((r) => r.id === 'retries_order_ok')!.ok, false);
});

const breaker = breakerExpectations;

test('breaker: the counted window ends before the ejected pod can return, and the margin is stated', () => {
  const shipped = breakerWindow(breaker(180_000));
  assert.deepEqual(shipped, { fromS: 10, toS: 40, returnS: 100, marginS: 60 });
  const outlier = claimsFor(breaker(180_000)).find((c) => c.id === 'breaker_outlier_ok')!;
  assert.match(outlier.title, /success in 10–40 s.*returns ≥ 100 s: margin 60 s/);
  assert.deepEqual(planRefusals(breaker(180_000)), []);
  // The old 30 s: the pod may be back before the window even opens.
  const [refusal] = planRefusals(breaker(30_000));
  assert.match(refusal!, /breaker_outlier_ok: the ejected pod may return at -50 s .* inside the counted window 10–40 s: set baseEjectionTime above 120 s/);
});

test('lb: the busiest pod claim rejects a hash that sends every user to one pod', () => {
  const e: LbExpectations = { scenario: 'lb', service: 'products', hashHeader: 'x-user-id', replicas: 3, users: 20 };
  const row = powerCheck(claimsFor(e), loadPlan(e)).find((r) => r.id === 'lb_busiest_pod')!;
  assert.equal(row.ok, true);
  assert.equal(row.band.lo, 0);
  assert.ok(row.band.hi < 1 && row.band.hi > 1 / 3);
  assert.equal(row.rate, undefined, 'n is the user count, not a rate');
});

// Simulated k6 summaries: a correct mesh passes every claim, and a mesh broken in the way one claim
// targets fails that claim. The counts stand in for what k6 would report; the arithmetic is the real one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimsFor, infraAllowance, lbMinPods, loadPlan, type Claim } from './claims.ts';
import { classify, isInfraNoise } from './classify.ts';
import type { Expectations } from './expectations.ts';
import { mirrorObservation, verdict, type K6Summary, type Observation } from './verdict.ts';

type Values = Record<string, Record<string, number>>;

/** A k6 summary in handleSummary's shape: metrics[name].values. */
const summary = (values: Values): K6Summary => ({ metrics: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { values: v }])) });
const rate = (passes: number, n: number) => ({ passes, fails: n - passes, rate: passes / n });

/** What a correct mesh shows for each claim at its planned n (one transient reset included). */
function correct(claims: readonly Claim[]): { values: Values; external: Record<string, Observation> } {
  const values: Values = {};
  const external: Record<string, Observation> = {};
  for (const c of claims) {
    let v: Record<string, number>;
    switch (c.kind) {
      case 'share': {
        const n = c.minSamples;
        const successes = c.side === 'upper' ? Math.round(c.p * n) + 1 : Math.round(c.p * n);
        if (c.source === 'runner') external[c.id] = { successes, n };
        v = rate(successes, n);
        break;
      }
      case 'rate-at-least':
        v = rate(1000, 1000);
        break;
      case 'rate-at-most':
        v = rate(0, 1000);
        break;
      case 'count-at-least':
        if (c.source === 'runner') external[c.id] = { count: c.limit };
        v = { count: c.limit };
        break;
      case 'count-at-most':
        v = { count: 1 };
        break;
      case 'trend-at-most':
        v = { 'p(99)': c.limit - 1 };
        break;
    }
    values[c.id] = v;
  }
  return { values, external };
}

const failing = (e: Expectations, values: Values, external: Record<string, Observation> = {}) =>
  verdict(claimsFor(e), [summary(values)], external)
    .filter((r) => !r.pass)
    .map((r) => r.claim);

const cases: { e: Expectations; broken: { claim: RegExp; values?: Values; external?: Record<string, Observation> }[] }[] = [
  {
    e: { scenario: 'ab', service: 'products', header: 'x-user-group', value: 'beta', matchVersion: 'v2', defaultVersion: 'v1' },
    broken: [
      { claim: /x-user-group: beta reaches v2/, values: { ab_beta_match: rate(359, 360) } },
      { claim: /others reach v2/, values: { ab_other_match: rate(1, 360) } },
      { claim: /no HTTP response/, values: { infra_noise: { count: 50 } } },
    ],
  },
  {
    e: { scenario: 'jwt', issuer: 'shopmesh-users', jwksUri: 'http://users.shop/jwks', protectedPaths: ['/api/orders/*'], path: '/api/orders/5001' },
    broken: [
      { claim: /no token → 403/, values: { jwt_none_403: rate(110, 120) } },
      { claim: /forged token → 401/, values: { jwt_forged_401: rate(0, 120) } },
    ],
  },
  {
    e: { scenario: 'mirror', service: 'products', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 1 },
    broken: [
      { claim: /clients see v1 only/, values: { mirror_route_version: rate(950, 960) } },
      { claim: /v2 received copies/, external: { mirror_received: mirrorObservation(0, 960, 960) } },
      { claim: /v2 received copies/, external: { mirror_received: mirrorObservation(940, 960, 960) } },
    ],
  },
  {
    e: { scenario: 'lb', service: 'products', hashHeader: 'x-user-id', replicas: 3, users: 20 },
    broken: [
      { claim: /stays on one pod/, values: { lb_sticky: rate(900, 960) } },
      { claim: /land on at least 2 of the 3 pods/, external: { lb_spread: { count: 1 } } },
      { claim: /busiest pod/, external: { lb_busiest_pod: { successes: 20, n: 20 } } },
    ],
  },
  {
    e: { scenario: 'tls', host: 'shop.localhost', secretName: 'shop-localhost-tls', gatewayNamespace: 'istio-ingress', httpsRedirect: true },
    broken: [
      { claim: /verified against the sandbox CA/, external: { tls_https_ok: { successes: 0, n: 240 } } },
      { claim: /http answers 301/, values: { tls_http_redirect: rate(0, 120) } },
    ],
  },
  {
    e: { scenario: 'canary', service: 'products', weights: { v1: 90, v2: 10 }, version: 'v2', share: 0.1 },
    broken: [{ claim: /v2 share = rendered weight/, values: { canary_version_share: rate(0, 816) } }],
  },
];

for (const { e, broken } of cases) {
  test(`${e.scenario}: a correct mesh (with one transient reset) passes; each claim fails on the mesh it targets`, () => {
    const claims = claimsFor(e);
    const ok = correct(claims);
    const rows = verdict(claims, [summary(ok.values)], ok.external);
    assert.deepEqual(rows.filter((r) => !r.pass), [], 'every claim holds on a correct mesh');
    for (const b of broken) {
      const failed = failing(e, { ...ok.values, ...b.values }, { ...ok.external, ...b.external });
      assert.equal(failed.length, 1, `only the targeted claim fails: ${failed.join(' | ')}`);
      assert.match(failed[0]!, b.claim);
    }
  });
}

test('infrastructure noise: classified by k6 error code, allowed up to its own documented limit, summed over Jobs', () => {
  assert.equal(isInfraNoise({ status: 0, headers: {}, errorCode: 1212 }), true, 'dial refused');
  assert.equal(isInfraNoise({ status: 0, headers: {}, errorCode: 1220 }), true, 'reset by peer before any response');
  assert.equal(isInfraNoise({ status: 0, headers: {}, errorCode: 1101 }), true, 'no such host');
  assert.equal(isInfraNoise({ status: 0, headers: {}, errorCode: 1310 }), false, 'an unknown CA is the mesh answering wrong');
  assert.equal(isInfraNoise({ status: 0, headers: {}, errorCode: 1050 }), false, 'a timeout is the mesh answering slowly');
  assert.equal(isInfraNoise({ status: 503, headers: {}, errorCode: 1220 }), false, 'any HTTP answer is the mesh’s');
  assert.equal(classify({ status: 0, headers: {}, errorCode: 1211 }).infraNoise, true);
  const jwt: Expectations = { scenario: 'jwt', issuer: 'i', jwksUri: 'u', protectedPaths: ['/api/orders/*'], path: '/api/orders/5001' };
  const allowance = infraAllowance(loadPlan(jwt));
  assert.equal(allowance, 3, '0.5% of 450 planned requests, rounded up');
  const row = (count: number) => verdict(claimsFor(jwt), [summary({ infra_noise: { count } })]).find((r) => r.claim.startsWith('no HTTP response'))!;
  assert.deepEqual([row(allowance).pass, row(allowance + 1).pass], [true, false]);
  assert.equal(row(allowance).expected, `≤ ${allowance}`);
  // authz runs one Job per ServiceAccount: their counts add up.
  const authz: Expectations = { scenario: 'authz', namespace: 'shop', sources: ['orders', 'storefront'], edges: [{ from: 'orders', to: 'payments', allowed: true, path: '/p' }, { from: 'storefront', to: 'payments', allowed: false, path: '/p' }] };
  const limit = infraAllowance(loadPlan(authz));
  const rows = verdict(claimsFor(authz), [summary({ infra_noise: { count: limit } }), summary({ infra_noise: { count: 1 } })]);
  assert.equal(rows.find((r) => r.claim.startsWith('no HTTP response'))!.observed, String(limit + 1));
});

test('mirror: copies count only over served primaries; a counter above every primary sent fails', () => {
  assert.deepEqual(mirrorObservation(955, 950, 960), { successes: 950, n: 950 }, 'copies of unserved primaries may arrive too');
  assert.deepEqual(mirrorObservation(1200, 950, 960), { successes: 1200, n: 950 });
});

test('lb: the least pods a fair hash fills is the most a correct mesh misses almost never', () => {
  assert.equal(lbMinPods(3, 20), 2, 'three pods, 20 users: P(all on one) ≈ 1e-9, P(on two or fewer) ≈ 9e-4');
  assert.equal(lbMinPods(3, 60), 3);
  assert.equal(lbMinPods(1, 20), 1);
});

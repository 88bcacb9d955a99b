// The load each scenario plans and the claims it makes, from hand-written expectations (the derived
// ones from the shipped overlays are covered in scripts/lib/scenario/expectations.test.ts and expectations.overlays.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimsFor, lbMinPods, expectedRange, k6Scenarios, loadPlan, minSamples, planSeconds, rateToTell, shareClaimCount, thresholdsFor, type Claim, type Phase } from './claims.ts';
import { sampleSizeToTell, toleranceBand } from './stats.ts';
import type { Expectations } from './expectations.ts';

const byName = (phases: Phase[], name: string): Phase => {
  const p = phases.find((x) => x.name === name);
  assert.ok(p, `phase ${name} in ${phases.map((x) => x.name).join(', ')}`);
  return p;
};
const claim = (claims: Claim[], id: string): Claim => {
  const c = claims.find((x) => x.id === id);
  assert.ok(c, `claim ${id} in ${claims.map((x) => x.id).join(', ')}`);
  return c;
};

const ratelimit: Expectations = { scenario: 'ratelimit', service: 'products', maxTokens: 10, tokensPerFill: 10, fillIntervalMs: 1000, instances: 2, limitPerSecond: 20 };
const mtls: Expectations = { scenario: 'mtls', mode: 'STRICT', meshNamespace: 'shop', legacyNamespace: 'legacy', service: 'products', legacyShare: 0 };
const authz: Expectations = {
  scenario: 'authz',
  namespace: 'shop',
  sources: ['storefront', 'orders'],
  edges: [
    { from: 'storefront', to: 'orders', allowed: true, path: '/orders' },
    { from: 'storefront', to: 'payments', allowed: false, path: '/payments' },
    { from: 'orders', to: 'payments', allowed: true, path: '/payments' },
  ],
};

test('a phase counts on 80% of the requests it sends, and on at least one', () => {
  assert.equal(minSamples({ name: 'x', rate: 10, durationS: 45, startS: 0, preAllocatedVUs: 2, maxVUs: 4 }), 360);
  assert.equal(minSamples({ name: 'x', rate: 3, durationS: 7, startS: 0, preAllocatedVUs: 2, maxVUs: 4 }), 16); // 16.8 floored
  assert.equal(minSamples({ name: 'x', rate: 0.1, durationS: 5, startS: 0, preAllocatedVUs: 2, maxVUs: 4 }), 1);
});

test('the rate to tell p from 2p sends just enough requests, within its floor and ceiling', () => {
  for (const [p, claims] of [[0.3, 1], [0.2, 2], [0.45, 2]] as const) {
    const rate = rateToTell(p, 60, claims, 1, 1000);
    const needed = sampleSizeToTell(p, claims);
    assert.ok(rate * 60 * 0.8 >= needed, `p=${p}: ${rate}/s gives enough samples`);
    assert.ok((rate - 1) * 60 * 0.8 < needed, `p=${p}: ${rate - 1}/s would not`);
  }
  assert.equal(rateToTell(0.001, 60, 2), 60, 'a tiny share asks for more than the ceiling');
  assert.equal(rateToTell(0.45, 600, 1), 5, 'a long window needs less than the floor');
  assert.equal(rateToTell(0.001, 60, 2, 10, 40), 40);
  assert.equal(rateToTell(0.45, 600, 1, 10, 40), 10);
  for (const p of [0, 1, -0.5, 1.5]) assert.equal(rateToTell(p, 60, 1, 7, 50), 7, `p=${p} needs no sizing`);
});

test('VUs follow the requests in flight: rate × hold time, with headroom', () => {
  // baseline: 10/s per route, at most five routes, 500 ms hold.
  const three = loadPlan({ scenario: 'baseline', routes: [1, 2, 3].map((i) => ({ name: `r${i}`, prefix: `/r${i}`, path: `/r${i}` })) });
  assert.deepEqual(three, [{ name: 'routes', rate: 30, durationS: 45, startS: 0, preAllocatedVUs: 17, maxVUs: 40 }]);
  const many = loadPlan({ scenario: 'baseline', routes: Array.from({ length: 8 }, (_, i) => ({ name: `r${i}`, prefix: `/r${i}`, path: `/r${i}` })) });
  assert.equal(many[0]!.rate, 50);
  const none = loadPlan({ scenario: 'baseline', routes: [] });
  assert.equal(none[0]!.rate, 10);
  // authz: 2/s for 500 ms is one in flight; the floors of 2 pre-allocated (+2 headroom) and 4 max hold.
  const edges = loadPlan(authz);
  assert.deepEqual(edges, [
    { name: 'as_storefront', rate: 2, durationS: 30, startS: 0, preAllocatedVUs: 3, maxVUs: 12, role: 'storefront', exec: 'edges', requestsPerIteration: 2 },
    { name: 'as_orders', rate: 2, durationS: 30, startS: 0, preAllocatedVUs: 3, maxVUs: 12, role: 'orders', exec: 'edges', requestsPerIteration: 1 },
  ]);
});

test('slow phases hold VUs longer: the fault delay, the timeout, the plaintext client', () => {
  const fault = loadPlan({ scenario: 'fault', service: 'products', delay: { share: 0.5, ms: 3000 } });
  // 10/s held 3.5 s: 35 in flight.
  assert.deepEqual(fault, [{ name: 'traffic', rate: 10, durationS: 60, startS: 0, preAllocatedVUs: 37, maxVUs: 80 }]);
  const timeout = loadPlan({ scenario: 'timeout', routeService: 'orders', timeoutMs: 1500, slowService: 'payments', latencyMs: 4000, latencyShare: 0.5, timeoutShare: 0.5 });
  // held min(latency, timeout) + 500 ms = 2 s.
  assert.equal(byName(timeout, 'orders').preAllocatedVUs, Math.ceil(byName(timeout, 'orders').rate * 2) + 2);
  const shortTimeout = loadPlan({ scenario: 'timeout', routeService: 'orders', timeoutMs: 3000, slowService: 'payments', latencyMs: 1000, latencyShare: 0.5, timeoutShare: 0 });
  assert.equal(byName(shortTimeout, 'orders').preAllocatedVUs, Math.ceil(byName(shortTimeout, 'orders').rate * 1.5) + 2);
  const plan = loadPlan(mtls);
  assert.deepEqual(byName(plan, 'mesh'), { name: 'mesh', rate: 10, durationS: 30, startS: 0, preAllocatedVUs: 7, maxVUs: 20, role: 'mesh' });
  assert.deepEqual(byName(plan, 'legacy'), { name: 'legacy', rate: 10, durationS: 30, startS: 0, preAllocatedVUs: 22, maxVUs: 50, role: 'legacy' });
});

test('the fault rate is sized for the rarer of delay and abort, never below 10/s', () => {
  const rare = loadPlan({ scenario: 'fault', service: 'products', delay: { share: 0.5, ms: 100 }, abort: { share: 0.05, status: 500 } });
  assert.equal(rare[0]!.rate, rateToTell(0.05, 60, 2, 10, 40));
  assert.ok(rare[0]!.rate > 10);
  const common = loadPlan({ scenario: 'fault', service: 'products', abort: { share: 0.5, status: 500 } });
  assert.equal(common[0]!.rate, 10);
  // A share of 0 or 1 needs no sizing.
  const exact = loadPlan({ scenario: 'fault', service: 'products', delay: { share: 1, ms: 100 }, abort: { share: 0, status: 500 } });
  assert.equal(exact[0]!.rate, 10);
});

test('breaker overflow, ratelimit and lb phases are sized by the overlay', () => {
  const breaker = loadPlan({
    scenario: 'breaker',
    service: 'products',
    pool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
    outlier: { consecutive5xxErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 30000, maxEjectionPercent: 100 },
    replicas: 3,
    failingReplicas: 1,
    overflowConcurrency: 3,
  });
  assert.deepEqual(byName(breaker, 'overflow'), { name: 'overflow', rate: 100, durationS: 20, startS: 45, preAllocatedVUs: 3, maxVUs: 3 });
  assert.equal(planSeconds(breaker), 75, 'the overflow phase ends last, plus 10 s');
  assert.equal(loadPlan(ratelimit)[0]!.rate, 80);
  assert.equal(loadPlan({ ...ratelimit, limitPerSecond: 0.5 })[0]!.rate, 4);
  assert.equal(loadPlan({ ...ratelimit, limitPerSecond: 120 })[0]!.rate, 200);
  assert.equal(loadPlan({ ...ratelimit, limitPerSecond: 2.1 })[0]!.rate, 9, 'rounded up');
  assert.deepEqual(loadPlan({ scenario: 'lb', service: 'products', hashHeader: 'x-user', replicas: 3, users: 12 }), [
    { name: 'users', rate: 20, durationS: 60, startS: 0, preAllocatedVUs: 12, maxVUs: 12 },
  ]);
});

test('each claim counts on the samples of its own phase; a missing phase is an error naming it', () => {
  const jwt: Expectations = { scenario: 'jwt', issuer: 'shopmesh-users', jwksUri: 'http://users/jwks', protectedPaths: ['/orders'], path: '/orders' };
  const phases = [
    { name: 'none', rate: 5, durationS: 30, startS: 0, preAllocatedVUs: 2, maxVUs: 4 },
    { name: 'forged', rate: 10, durationS: 30, startS: 0, preAllocatedVUs: 2, maxVUs: 4 },
    { name: 'valid', rate: 20, durationS: 30, startS: 0, preAllocatedVUs: 2, maxVUs: 4 },
  ];
  const claims = claimsFor(jwt, phases);
  assert.deepEqual(claims.map((c) => [c.id, c.kind === 'share' ? c.minSamples : -1]), [['jwt_none_403', 120], ['jwt_forged_401', 240], ['jwt_valid_2xx', 480], ['infra_noise', -1]]);
  // Requests with no HTTP response: 0.5% of the 1050 planned, rounded up, never fewer than 2.
  assert.deepEqual(claim(claims, 'infra_noise'), { id: 'infra_noise', title: claim(claims, 'infra_noise').title, kind: 'count-at-most', limit: 6 });
  assert.equal((claim(claimsFor(jwt, phases.map((p) => ({ ...p, rate: 1, durationS: 10 }))), 'infra_noise') as { limit: number }).limit, 2, 'the floor of 2');
  assert.throws(() => claimsFor(jwt, phases.slice(0, 2)), /no load phase "valid" in the jwt plan/);
});

test('in-cluster Jobs get only their own role\'s claims and phases', () => {
  const all = claimsFor(mtls);
  assert.deepEqual(all.map((c) => c.id), ['mtls_mesh_ok', 'mtls_legacy_ok']);
  assert.deepEqual(claimsFor(mtls, loadPlan(mtls), 'mesh').map((c) => c.id), ['mtls_mesh_ok']);
  assert.deepEqual(claimsFor(mtls, loadPlan(mtls), 'legacy').map((c) => c.id), ['mtls_legacy_ok']);
  const legacy = claim(all, 'mtls_legacy_ok');
  assert.ok(legacy.kind === 'share' && legacy.p === 0 && legacy.side === 'both');

  const asOrders = claimsFor(authz, loadPlan(authz), 'orders');
  assert.deepEqual(asOrders.map((c) => c.id), ['authz_as_expected{edge:orders-payments}', 'infra_noise']);
  const asStorefront = claimsFor(authz, loadPlan(authz), 'storefront').filter((c) => c.kind === 'share');
  assert.deepEqual(asStorefront.map((c) => c.id), ['authz_as_expected{edge:storefront-orders}', 'authz_as_expected{edge:storefront-payments}']);
  for (const c of asStorefront) assert.ok(c.kind === 'share' && c.p === 1 && c.minSamples === 48 && c.role === 'storefront');
  // Claims without a role (every role measures them) stay in each Job's list.
  const baseline: Expectations = { scenario: 'baseline', routes: [{ name: 'home', prefix: '/', path: '/' }] };
  assert.equal(claimsFor(baseline, loadPlan(baseline), 'anything').length, 2);

  const scenarios = k6Scenarios(loadPlan(mtls), 'legacy');
  assert.deepEqual(Object.keys(scenarios), ['legacy']);
  assert.deepEqual(scenarios.legacy, { executor: 'constant-arrival-rate', exec: 'legacy', rate: 10, timeUnit: '1s', duration: '30s', startTime: '0s', preAllocatedVUs: 22, maxVUs: 50, gracefulStop: '10s' });
  assert.deepEqual(Object.keys(k6Scenarios(loadPlan(mtls))), ['mesh', 'legacy'], 'without a role, every phase');
  assert.equal(k6Scenarios(loadPlan(authz), 'orders').as_orders!.exec, 'edges', 'authz phases share one function');
  const mixed = [...loadPlan(mtls), { name: 'shared', rate: 1, durationS: 5, startS: 3, preAllocatedVUs: 2, maxVUs: 4 }];
  assert.deepEqual(Object.keys(k6Scenarios(mixed, 'mesh')), ['mesh', 'shared'], 'a phase without a role runs in every Job');
  assert.equal(k6Scenarios(mixed).shared!.startTime, '3s');
});

test('scenario claims carry what the overlay promises', () => {
  const ab = (matchVersion: string): Claim[] => claimsFor({ scenario: 'ab', service: 'products', header: 'x-user-group', value: 'beta', matchVersion, defaultVersion: 'v1' });
  assert.equal((claim(ab('v2'), 'ab_other_match') as { p: number }).p, 0, 'others must not reach the beta version');
  assert.equal((claim(ab('v1'), 'ab_other_match') as { p: number }).p, 1, 'the match version is the default too');

  const abortOnly = claimsFor({ scenario: 'fault', service: 'products', abort: { share: 0.2, status: 500 } });
  assert.deepEqual(abortOnly.map((c) => [c.id, (c as { p: number }).p]), [['fault_aborted', 0.2]]);
  const delayOnly = claimsFor({ scenario: 'fault', service: 'products', delay: { share: 0.3, ms: 200 } });
  assert.deepEqual(delayOnly.map((c) => [c.id, (c as { p: number }).p]), [['fault_delayed', 0.3]]);

  const timeout = claimsFor({ scenario: 'timeout', routeService: 'orders', timeoutMs: 1234, slowService: 'payments', latencyMs: 4000, latencyShare: 0.5, timeoutShare: 0.5 });
  assert.deepEqual(claim(timeout, 'timeout_duration'), { id: 'timeout_duration', title: 'p99 ≤ timeout + 20%', kind: 'trend-at-most', stat: 'p(99)', limit: 1481 });
  assert.equal((claim(timeout, 'timeout_504') as { p: number }).p, 0.5);

  const retries = claimsFor({ scenario: 'retries', service: 'payments', attempts: 2, retryOn: '503', errorShare: 0.3, errorStatus: 503, retried: true, successShare: 0.973 });
  const ok = claim(retries, 'retries_order_ok');
  assert.ok(ok.kind === 'share' && ok.side === 'lower' && ok.p === 0.973, 'success may beat the promise, never fall short of it');
  assert.ok(thresholdsFor(retries).retries_order_ok!.every((r) => r.startsWith('rate>=')));

  const mirror = claimsFor({ scenario: 'mirror', service: 'products', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 0.5 });
  assert.equal(thresholdsFor(mirror).mirror_received, undefined, 'the runner counts mirrored copies, not k6');
  assert.ok(thresholdsFor(mirror).mirror_route_version);

  const tls = (httpsRedirect: boolean): string[] => claimsFor({ scenario: 'tls', host: 'shop.localhost', secretName: 's', gatewayNamespace: 'istio-ingress', httpsRedirect }).map((c) => c.id);
  assert.deepEqual(tls(true), ['tls_https_ok', 'tls_http_redirect', 'infra_noise']);
  assert.deepEqual(tls(false), ['tls_https_ok', 'infra_noise']);
  // The runner sends the https phase itself (Node verifies the certificate), so k6 neither runs nor judges it.
  const tlsExpect: Expectations = { scenario: 'tls', host: 'shop.localhost', secretName: 's', gatewayNamespace: 'istio-ingress', httpsRedirect: true };
  assert.deepEqual(Object.keys(k6Scenarios(loadPlan(tlsExpect))), ['http']);
  assert.equal(thresholdsFor(claimsFor(tlsExpect)).tls_https_ok, undefined);
});

test('the ratelimit share is what the buckets cannot pass, with one refill of slack either way', () => {
  const [c] = claimsFor(ratelimit);
  assert.ok(c && c.kind === 'share');
  // 80/s for 60 s = 4800 sent; 2 buckets × 10 tokens + 20/s × 60 s = 1220 allowed.
  assert.ok(Math.abs(c.p - (1 - 1220 / 4800)) < 1e-12, `p ${c.p}`);
  assert.ok(Math.abs(c.slack! - 20 / 4800) < 1e-12, `slack ${c.slack}`);
  assert.equal(c.minSamples, 3840);
  const band = toleranceBand(c.p, 3840);
  const range = expectedRange(c, 3840, 1);
  assert.ok(Math.abs(range.lo - (band.lo - c.slack!)) < 1e-12 && Math.abs(range.hi - (band.hi + c.slack!)) < 1e-12, 'slack widens the band on both sides');
  // Buckets that hold more than is ever sent: nothing is refused (the share is clamped at 0, not negative).
  const [none] = claimsFor({ ...ratelimit, limitPerSecond: 100, maxTokens: 10_000 });
  assert.equal((none as { p: number }).p, 0);
});

test('the accepted range per claim kind, clamped to shares', () => {
  const share = (p: number, side: 'both' | 'lower' | 'upper', slack?: number): Claim => ({ id: 's', title: 's', kind: 'share', p, minSamples: 100, side, ...(slack !== undefined ? { slack } : {}) });
  const band = toleranceBand(0.5, 200, 2);
  assert.deepEqual(expectedRange(share(0.5, 'both'), 200, 2), { lo: band.lo, hi: band.hi });
  assert.deepEqual(expectedRange(share(0.5, 'lower'), 200, 2), { lo: band.lo, hi: 1 }, 'a one-sided claim has no upper bound');
  assert.deepEqual(expectedRange(share(0.5, 'upper'), 200, 2), { lo: 0, hi: band.hi }, 'nor an upper-only one a lower bound');
  assert.deepEqual(expectedRange(share(0.5, 'both', 0.9), 200, 2), { lo: 0, hi: 1 }, 'slack never leaves [0, 1]');
  assert.deepEqual(expectedRange(share(1, 'both'), 0, 1), { lo: 1, hi: 1 }, 'no samples is sized as one');
  assert.deepEqual(expectedRange({ id: 'r', title: 'r', kind: 'rate-at-least', limit: 0.99 }, 50, 1), { lo: 0.99, hi: Infinity });
  assert.deepEqual(expectedRange({ id: 'c', title: 'c', kind: 'count-at-least', limit: 1 }, 50, 1), { lo: 1, hi: Infinity });
  assert.deepEqual(expectedRange({ id: 'e', title: 'e', kind: 'rate-at-most', limit: 0.01 }, 50, 1), { lo: -Infinity, hi: 0.01 });
  assert.deepEqual(expectedRange({ id: 't', title: 't', kind: 'trend-at-most', stat: 'max', limit: 900 }, 50, 1), { lo: -Infinity, hi: 900 });
});

test('shares split the false-fail budget among themselves only', () => {
  const jwt = claimsFor({ scenario: 'jwt', issuer: 'i', jwksUri: 'u', protectedPaths: [], path: '/' });
  assert.equal(shareClaimCount(jwt), 3);
  const breaker: Claim[] = [
    { id: 'a', title: 'a', kind: 'count-at-least', limit: 1 },
    { id: 'b', title: 'b', kind: 'rate-at-least', limit: 0.99 },
  ];
  assert.equal(shareClaimCount(breaker), 1, 'no share claims still splits by one');
  assert.equal(shareClaimCount([]), 1);
  // Three shares get narrower slices than one: each band is wider.
  const one = thresholdsFor([{ id: 'only', title: 'x', kind: 'share', p: 0.3, minSamples: 500, side: 'both' }]).only!;
  const withThree = thresholdsFor(jwt.map((c, i) => (i === 0 ? { ...c, p: 0.3, minSamples: 500 } as Claim : c))).jwt_none_403!;
  assert.ok(Number(withThree[0]!.slice('rate>='.length)) < Number(one[0]!.slice('rate>='.length)));
});

test('thresholds: one rule per bound, at most six decimals, rules of one id gathered', () => {
  const band = toleranceBand(0.3, 500, 1);
  const t = thresholdsFor([
    { id: 'share', title: 'x', kind: 'share', p: 0.3, minSamples: 500, side: 'both' },
    { id: 'floor', title: 'x', kind: 'rate-at-least', limit: 0.99 },
    { id: 'ceiling', title: 'x', kind: 'rate-at-most', limit: 0.01 },
    { id: 'count', title: 'x', kind: 'count-at-least', limit: 2 },
    { id: 'p99', title: 'x', kind: 'trend-at-most', stat: 'p(99)', limit: 1800 },
    { id: 'ceiling', title: 'again', kind: 'trend-at-most', stat: 'max', limit: 2500 },
  ]);
  assert.deepEqual(t.share, [`rate>=${Number(band.lo.toFixed(6))}`, `rate<=${Number(band.hi.toFixed(6))}`]);
  assert.deepEqual(t.floor, ['rate>=0.99']);
  assert.deepEqual(t.ceiling, ['rate<=0.01', 'max<=2500']);
  assert.deepEqual(t.count, ['count>=2']);
  assert.deepEqual(t.p99, ['p(99)<=1800']);
  assert.deepEqual(thresholdsFor([{ id: 'third', title: 'x', kind: 'rate-at-least', limit: 1 / 3 }]).third, ['rate>=0.333333']);
});

test('what each scenario claims: the kind, the side, the phase that sizes it, who judges it', () => {
  const route = { name: 'home', prefix: '/', path: '/' };
  const all: Expectations[] = [
    { scenario: 'baseline', routes: [route] },
    { scenario: 'canary', service: 'products', weights: { v1: 90, v2: 10 }, version: 'v2', share: 0.1 },
    { scenario: 'ab', service: 'products', header: 'x-user-group', value: 'beta', matchVersion: 'v2', defaultVersion: 'v1' },
    { scenario: 'fault', service: 'products', delay: { share: 0.2, ms: 200 }, abort: { share: 0.1, status: 500 } },
    { scenario: 'timeout', routeService: 'orders', timeoutMs: 1500, slowService: 'payments', latencyMs: 4000, latencyShare: 0.5, timeoutShare: 0.5 },
    { scenario: 'retries', service: 'payments', attempts: 2, retryOn: '503', errorShare: 0.3, errorStatus: 503, retried: true, successShare: 0.973 },
    { scenario: 'breaker', service: 'products', pool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 }, outlier: { consecutive5xxErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 300_000, maxEjectionPercent: 100 }, replicas: 3, failingReplicas: 1, overflowConcurrency: 3 },
    { scenario: 'mirror', service: 'products', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 1 },
    mtls,
    { scenario: 'jwt', issuer: 'i', jwksUri: 'u', protectedPaths: ['/orders'], path: '/orders' },
    { scenario: 'tls', host: 'shop.localhost', secretName: 's', gatewayNamespace: 'istio-ingress', httpsRedirect: true },
    ratelimit,
    { scenario: 'lb', service: 'products', hashHeader: 'x-user', replicas: 3, users: 12 },
  ];
  const shape = (c: Claim): string => [c.id, c.kind, c.kind === 'share' ? `${c.side} p=${Number(c.p.toFixed(4))}` : `limit=${c.limit}`, 'phase' in c ? c.phase ?? '' : '', 'source' in c ? c.source ?? '' : ''].join(' ').trim();
  const got = Object.fromEntries(all.map((e) => [e.scenario, claimsFor(e).map(shape)]));
  assert.deepEqual(got, {
    baseline: ['errors rate-at-most limit=0.01', 'route_ok{route:home} rate-at-least limit=0.99'],
    canary: ['canary_version_share share both p=0.1 traffic', 'errors rate-at-most limit=0.01'],
    ab: ['ab_beta_match share both p=1', 'ab_other_match share both p=0', 'infra_noise count-at-most limit=5'],
    fault: ['fault_aborted share both p=0.1 traffic', 'fault_delayed share both p=0.2 traffic'],
    timeout: ['timeout_504 share both p=0.5 orders', 'timeout_duration trend-at-most limit=1800'],
    retries: ['retries_order_ok share lower p=0.973 orders', 'retries_one_charge share both p=1'],
    breaker: ['breaker_overflow count-at-least limit=1', 'breaker_outlier_ok rate-at-least limit=0.99'],
    mirror: ['mirror_route_version share both p=1', 'mirror_received share both p=1 traffic runner', 'infra_noise count-at-most limit=6'],
    mtls: ['mtls_mesh_ok rate-at-least limit=0.99', 'mtls_legacy_ok share both p=0'],
    jwt: ['jwt_none_403 share both p=1', 'jwt_forged_401 share both p=1', 'jwt_valid_2xx share both p=1', 'infra_noise count-at-most limit=3'],
    tls: ['tls_https_ok share both p=1  runner', 'tls_http_redirect share both p=1', 'infra_noise count-at-most limit=3'],
    ratelimit: ['ratelimit_429 share both p=0.7458 traffic'],
    lb: ['lb_sticky share both p=1', 'lb_spread count-at-least limit=' + lbMinPods(3, 12) + '  runner', 'lb_busiest_pod share upper p=0.3333  runner', 'errors rate-at-most limit=0.01', 'infra_noise count-at-most limit=6'],
  });
  // What a broken mesh would show instead, where the default (nothing, or twice p) is not the right foil.
  const alternatives = (e: Expectations, id: string) => (claim(claimsFor(e), id) as { alternatives?: unknown[] }).alternatives?.map((a) => (a as { share: number }).share);
  assert.deepEqual(alternatives(all[5]!, 'retries_order_ok'), [0.7], 'a mesh without retries succeeds 1 − q of the time');
  assert.deepEqual(alternatives(all[7]!, 'mirror_received'), [0], 'a mesh that mirrors nothing');
  assert.deepEqual(alternatives(all[12]!, 'lb_busiest_pod'), [1], 'every user on one pod');
  assert.equal((claim(claimsFor(all[12]!), 'lb_busiest_pod') as { tests?: number }).tests, 3, 'the busiest of three pods is three comparisons');
  // k6 judges the infra-noise count and an upper-only share by their upper bound alone; the runner's rows it leaves out.
  const t = thresholdsFor(claimsFor(all[12]!));
  assert.deepEqual(t.infra_noise, ['count<=6']);
  assert.equal(t.lb_spread, undefined);
  assert.equal(t.lb_busiest_pod, undefined);
  assert.deepEqual(thresholdsFor([{ id: 'u', title: 'u', kind: 'share', p: 0.3, minSamples: 500, side: 'upper' }]).u, [`rate<=${Number(toleranceBand(0.3, 500).hi.toFixed(6))}`]);
});

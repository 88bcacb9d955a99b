import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifests, type KubeObject } from '../kube/render.ts';
import { deriveExpectations, durationMs, ExpectationError, retryOnCovers } from './expectations.ts';
import { claimsFor, loadPlan, thresholdsFor, expectedRange, shareClaimCount } from '../../../loadtests/lib/claims.ts';
import type { ScenarioName } from '../../../loadtests/lib/expectations.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): KubeObject[] => parseManifests(readFileSync(path.join(here, '..', '..', '..', 'test', 'fixtures', 'scenario', `${name}.yaml`), 'utf8'));
const fixtureText = (name: string): string => readFileSync(path.join(here, '..', '..', '..', 'test', 'fixtures', 'scenario', `${name}.yaml`), 'utf8');

test('durations parse the way Istio writes them', () => {
  assert.equal(durationMs('1.5s'), 1500);
  assert.equal(durationMs('250ms'), 250);
  assert.equal(durationMs('3m'), 180_000);
  assert.equal(durationMs({ seconds: 2, nanos: 5e8 }), 2500);
  assert.equal(durationMs('soon'), undefined);
});

test('retryOn coverage follows Envoy policy names', () => {
  assert.equal(retryOnCovers('5xx,connect-failure', 503), true);
  assert.equal(retryOnCovers('gateway-error', 503), true);
  assert.equal(retryOnCovers('gateway-error', 500), false);
  assert.equal(retryOnCovers('connect-failure,503', 503), true);
  assert.equal(retryOnCovers('connect-failure,refused-stream', 503), false);
});

test('every fixture overlay yields the expectations it was written for', () => {
  const expected: Record<ScenarioName, unknown> = {
    baseline: { scenario: 'baseline', routes: [{ name: 'api-products', prefix: '/api/products', path: '/api/products/101' }, { name: 'root', prefix: '/', path: '/' }] },
    canary: { scenario: 'canary', service: 'products', weights: { v1: 90, v2: 10 }, version: 'v2', share: 0.1 },
    ab: { scenario: 'ab', service: 'products', header: 'x-user-group', value: 'beta', matchVersion: 'v2', defaultVersion: 'v1' },
    fault: { scenario: 'fault', service: 'products', delay: { share: 0.2, ms: 3000 }, abort: { share: 0.1, status: 500 } },
    timeout: { scenario: 'timeout', routeService: 'orders', timeoutMs: 1500, slowService: 'products', latencyMs: 5000, latencyShare: 1, timeoutShare: 1 },
    retries: { scenario: 'retries', service: 'payments', attempts: 3, retryOn: '5xx,connect-failure', errorShare: 0.3, errorStatus: 503, retried: true, successShare: 1 - 0.3 ** 4 },
    breaker: {
      scenario: 'breaker', service: 'products',
      pool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
      outlier: { consecutive5xxErrors: 1, intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 100 },
      replicas: 3, failingReplicas: 1, overflowConcurrency: 3,
    },
    mirror: { scenario: 'mirror', service: 'products', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 1 },
    mtls: { scenario: 'mtls', mode: 'STRICT', meshNamespace: 'shop', legacyNamespace: 'legacy', service: 'products', legacyShare: 0 },
    jwt: { scenario: 'jwt', issuer: 'shopmesh-users', jwksUri: 'http://users.shop.svc.cluster.local:8080/.well-known/jwks.json', protectedPaths: ['/api/orders*'], path: '/api/orders/5001' },
    authz: undefined,
    tls: { scenario: 'tls', host: 'shop.localhost', secretName: 'shop-localhost-tls', gatewayNamespace: 'istio-ingress', httpsRedirect: true },
    ratelimit: { scenario: 'ratelimit', service: 'products', maxTokens: 10, tokensPerFill: 10, fillIntervalMs: 1000, instances: 1, limitPerSecond: 10 },
    lb: { scenario: 'lb', service: 'products', hashHeader: 'x-user-id', replicas: 3, users: 20 },
  };
  for (const [name, want] of Object.entries(expected) as [ScenarioName, unknown][]) {
    if (want === undefined) continue;
    assert.deepEqual(deriveExpectations(name, fixture(name)), want, name);
  }
});

test('authz edges follow principals, methods and deny-by-default', () => {
  const e = deriveExpectations('authz', fixture('authz'));
  assert.equal(e.scenario, 'authz');
  if (e.scenario !== 'authz') return;
  const edge = (from: string, to: string) => e.edges.find((x) => x.from === from && x.to === to)?.allowed;
  assert.equal(edge('orders', 'payments'), true);
  assert.equal(edge('storefront', 'payments'), false);
  assert.equal(edge('orders', 'notifications'), false, 'only POST is allowed, the probe is a GET');
  assert.equal(edge('payments', 'storefront'), false, 'allow-nothing covers workloads with no ALLOW policy of their own');
  assert.deepEqual(e.sources, ['storefront', 'orders', 'payments', 'notifications']);
});

test("a DENY limited to another port (the admin port) leaves the service edges alone; on the service's port it denies them", () => {
  const denyMeshCallers = (port: string) =>
    parseManifests(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: admin-port-no-mesh-callers, namespace: shop}
spec:
  action: DENY
  rules:
    - from: [{source: {principals: ["*"]}}]
      to: [{operation: {ports: ["${port}"]}}]
`);
  const allowed = (objects: KubeObject[]) => {
    const e = deriveExpectations('authz', objects);
    return e.scenario === 'authz' ? e.edges.filter((x) => x.allowed).map((x) => `${x.from}->${x.to}`).sort() : [];
  };
  const before = allowed(fixture('authz'));
  assert.ok(before.includes('orders->payments'));
  assert.deepEqual(allowed([...fixture('authz'), ...denyMeshCallers('9090')]), before);
  assert.throws(() => allowed([...fixture('authz'), ...denyMeshCallers('8080')]), /no allowed edge/);
});

test('change the canary weight and the band follows', () => {
  const at10 = deriveExpectations('canary', fixture('canary'));
  const at30 = deriveExpectations('canary', parseManifests(fixtureText('canary').replace('weight: 90', 'weight: 70').replace('weight: 10', 'weight: 30')));
  assert.equal(at30.scenario === 'canary' && at30.share, 0.3);
  const band = (e: typeof at10) => {
    const claims = claimsFor(e);
    const share = claims.find((c) => c.id === 'canary_version_share')!;
    return expectedRange(share, share.kind === 'share' ? share.minSamples : 1, shareClaimCount(claims));
  };
  const b10 = band(at10);
  const b30 = band(at30);
  assert.ok(b10.lo < 0.1 && b10.hi > 0.1 && b10.hi < 0.2, JSON.stringify(b10));
  assert.ok(b30.lo < 0.3 && b30.hi > 0.3 && b30.lo > b10.hi, JSON.stringify(b30));
  const t10 = thresholdsFor(claimsFor(at10)).canary_version_share!;
  const t30 = thresholdsFor(claimsFor(at30)).canary_version_share!;
  assert.notDeepEqual(t10, t30);
  const lo = (t: string[]) => Number(t[0]!.replace('rate>=', ''));
  assert.ok(lo(t30) > lo(t10) + 0.1, `${t10} → ${t30}`);
});

test('change the fault abort share and status, and the claim follows', () => {
  const e = deriveExpectations('fault', parseManifests(fixtureText('fault').replace('value: 10}, httpStatus: 500', 'value: 40}, httpStatus: 503')));
  assert.deepEqual(e.scenario === 'fault' && e.abort, { share: 0.4, status: 503 });
  const claim = claimsFor(e).find((c) => c.id === 'fault_aborted');
  assert.ok(claim && claim.kind === 'share' && claim.p === 0.4 && claim.title.includes('503'));
});

test('a timeout shorter than the delay is expected to cut every slow call; a longer one none', () => {
  const longer = deriveExpectations('timeout', parseManifests(fixtureText('timeout').replace('timeout: 1.5s', 'timeout: 10s')));
  assert.equal(longer.scenario === 'timeout' && longer.timeoutShare, 0);
  const claims = claimsFor(deriveExpectations('timeout', fixture('timeout')));
  assert.deepEqual(thresholdsFor(claims).timeout_duration, ['p(99)<=1800']);
});

test('missing pieces are named, not guessed', () => {
  assert.throws(() => deriveExpectations('canary', fixture('ab')), ExpectationError);
  assert.throws(() => deriveExpectations('retries', parseManifests(fixtureText('retries').replace('ERROR_PERCENT', 'OTHER'))), /ERROR_PERCENT/);
  assert.throws(() => deriveExpectations('tls', fixture('canary')), /HTTPS/);
});

test('every scenario plan ends within 90 s and yields thresholds for what k6 measures', () => {
  for (const name of ['baseline', 'canary', 'ab', 'fault', 'timeout', 'retries', 'breaker', 'mirror', 'mtls', 'jwt', 'authz', 'tls', 'ratelimit', 'lb'] as const) {
    const e = deriveExpectations(name, fixture(name));
    const phases = loadPlan(e);
    assert.ok(Math.max(...phases.map((p) => p.startS + p.durationS)) <= 90, name);
    const claims = claimsFor(e, phases);
    assert.ok(claims.length > 0, name);
    const thresholds = thresholdsFor(claims);
    for (const c of claims) if (!('source' in c && c.source === 'runner')) assert.ok(thresholds[c.id]?.length, `${name}: ${c.id}`);
    // What the runner measures itself (mirror's counter, lb's spread, tls's verified HTTPS) is no k6 threshold.
    for (const c of claims) if ('source' in c && c.source === 'runner') assert.equal(thresholds[c.id], undefined, `${name}: ${c.id}`);
  }
});

// Derivation reads what receives traffic (issue 15 item 1; `npm run xds` checks the same numbers
// against the Envoy config istiod generates).
const deployment = (name: string, version: string, replicas: number, env: Record<string, string> = {}, extra: Record<string, string> = {}): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop, labels: {app: products, version: ${version}}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: products, version: ${version}}}
  template:
    metadata: {labels: ${JSON.stringify({ app: 'products', version, ...extra })}}
    spec:
      containers:
        - name: products
          image: shopmesh/products
          env: ${JSON.stringify(Object.entries(env).map(([name, value]) => ({ name, value })))}
`;
const subsets = (trafficPolicy = ''): string => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: products, namespace: shop}
spec:
  host: products
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
${trafficPolicy}`;
const route = (http: string, gateways = '[istio-ingress/shop-gateway, mesh]'): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: products-${Math.abs([...http].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7))}, namespace: shop}
spec:
  hosts: [shop.localhost, products]
  gateways: ${gateways}
  http:
${http}`;
const docs = (...parts: string[]): KubeObject[] => parseManifests(parts.join('\n---\n'));
const toV1 = '    - route: [{destination: {host: products, subset: v1}}]';

test('timeout: only the pods of the subset the route sends to count (v2 pods get no calls)', () => {
  const e = deriveExpectations('timeout', docs(
    deployment('products-v1', 'v1', 1, { LATENCY_MS: '3000' }), deployment('products-v2', 'v2', 1), subsets(),
    route('    - timeout: 0.5s\n      route: [{destination: {host: products, subset: v1}}]'),
  ));
  assert.equal(e.scenario === 'timeout' && e.timeoutShare, 1);
});

test('timeout: a weighted route counts each subset by its weight and its slow pods', () => {
  const e = deriveExpectations('timeout', docs(
    deployment('products-v1', 'v1', 2, { LATENCY_MS: '3000' }), deployment('products-v1-fast', 'v1', 2, {}, { variant: 'fast' }), deployment('products-v2', 'v2', 1), subsets(),
    route('    - timeout: 0.5s\n      route: [{destination: {host: products, subset: v1}, weight: 80}, {destination: {host: products, subset: v2}, weight: 20}]'),
  ));
  assert.equal(e.scenario === 'timeout' && Number(e.timeoutShare.toFixed(6)), 0.4);
});

test('timeout: the route bound to mesh (what orders uses) wins over a gateway-only one', () => {
  const e = deriveExpectations('timeout', docs(
    deployment('products-v1', 'v1', 1, { LATENCY_MS: '3000' }), subsets(),
    route('    - timeout: 2s\n      route: [{destination: {host: products, subset: v1}}]', '[istio-ingress/shop-gateway]'),
    route('    - timeout: 0.5s\n      route: [{destination: {host: products, subset: v1}}]', '[mesh]'),
  ));
  assert.equal(e.scenario === 'timeout' && e.timeoutMs, 500);
});

test('fault: the route bound to the gateway (what k6 goes through) wins over a mesh-only one', () => {
  const e = deriveExpectations('fault', docs(
    deployment('products-v1', 'v1', 1), subsets(),
    route(`    - fault: {abort: {percentage: {value: 50}, httpStatus: 503}}\n${toV1.replace('    - ', '      ')}`, '[mesh]'),
    route(`    - fault: {abort: {percentage: {value: 10}, httpStatus: 500}}\n${toV1.replace('    - ', '      ')}`, '[istio-ingress/shop-gateway]'),
  ));
  assert.deepEqual(e.scenario === 'fault' && e.abort, { share: 0.1, status: 500 });
});

test('ratelimit: one bucket per pod the gateway route reaches and the EnvoyFilter selects', () => {
  const filter = `
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: rl, namespace: shop}
spec:
  workloadSelector: {labels: {app: products}}
  configPatches:
    - applyTo: HTTP_FILTER
      patch: {operation: INSERT_BEFORE, value: {name: envoy.filters.http.local_ratelimit, typed_config: {value: {token_bucket: {max_tokens: 10, tokens_per_fill: 10, fill_interval: 1s}}}}}
`;
  const e = deriveExpectations('ratelimit', docs(deployment('products-v1', 'v1', 2), deployment('products-v2', 'v2', 3), subsets(), route(toV1), filter));
  assert.equal(e.scenario === 'ratelimit' && e.instances, 2);
  assert.equal(e.scenario === 'ratelimit' && e.limitPerSecond, 20);
});

test('lb: the hash spreads over the pods of the routed subset only', () => {
  const e = deriveExpectations('lb', docs(
    deployment('products-v1', 'v1', 3), deployment('products-v2', 'v2', 1), subsets('  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user-id}}}'), route(toV1),
  ));
  assert.equal(e.scenario === 'lb' && e.replicas, 3);
});

test('breaker: replicas are the routed subset\'s pods, the always-failing one included', () => {
  const e = deriveExpectations('breaker', docs(
    deployment('products-v1', 'v1', 3), deployment('products-v1-always-fail', 'v1', 1, { ALWAYS_FAIL: 'true' }, { variant: 'always-fail' }), deployment('products-v2', 'v2', 1),
    subsets('  trafficPolicy: {connectionPool: {tcp: {maxConnections: 1}}, outlierDetection: {consecutive5xxErrors: 3}}'), route(toV1),
  ));
  assert.deepEqual(e.scenario === 'breaker' && [e.replicas, e.failingReplicas], [4, 1]);
});

test('mirror: the mirrors list form is understood, with its percentage', () => {
  const e = deriveExpectations('mirror', docs(
    deployment('products-v1', 'v1', 1), deployment('products-v2', 'v2', 1), subsets(),
    route('    - route: [{destination: {host: products, subset: v1}}]\n      mirrors: [{destination: {host: products, subset: v2}, percentage: {value: 25}}]'),
  ));
  assert.deepEqual(e, { scenario: 'mirror', service: 'products', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 0.25 });
});

test('retries: perTryTimeout is derived with attempts and retryOn', () => {
  const e = deriveExpectations('retries', parseManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-v1, namespace: shop, labels: {app: payments}}
spec:
  template:
    metadata: {labels: {app: payments, version: v1}}
    spec: {containers: [{name: payments, image: shopmesh/payments, env: [{name: ERROR_PERCENT, value: "30"}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: payments, namespace: shop}
spec:
  hosts: [payments]
  http:
    - retries: {attempts: 5, perTryTimeout: 300ms, retryOn: 5xx}
      route: [{destination: {host: payments}}]
`));
  assert.equal(e.scenario === 'retries' && e.perTryTimeoutMs, 300);
});

// The claims read from the Envoy config istiod generates, without running it: test/fixtures/xds/claims.json
// holds real shopmesh-xds output for every shipped overlay (pruned to what claims.ts reads), and each
// test breaks one thing in a copy of it, the way a broken overlay would, and names the claim that fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../kube/render.ts';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { callsFor, checkClaims, deploymentFor } from './claims.ts';
import type { ClaimsFixture, ClaimsFixtureScenario } from '../../../test/support/xds-claims-fixture.ts';
import { matchedRoute, proxyOf } from './envoy.ts';
import type { EnvoyJson, XdsProxy } from './generate.ts';

const FIXTURE = JSON.parse(readFileSync(new URL('../../../test/fixtures/xds/claims.json', import.meta.url), 'utf8')) as ClaimsFixture;

type Scenario<N extends ScenarioName = ScenarioName> = ClaimsFixtureScenario & { expectations: Extract<Expectations, { scenario: N }> };

/** A copy of one real scenario, free to break. */
function real<N extends ScenarioName>(name: N): Scenario<N> {
  const s = FIXTURE.scenarios.find((x) => x.scenario === name);
  assert.ok(s, `${name} is in the fixture`);
  return structuredClone(s) as Scenario<N>;
}
const rows = (s: ClaimsFixtureScenario) => checkClaims(s.expectations, s.result, s.objects);
const failing = (s: ClaimsFixtureScenario): string[] => rows(s).filter((r) => !r.pass).map((r) => r.claim);
const rowOf = (s: ClaimsFixtureScenario, claim: string | RegExp) => {
  const r = rows(s).find((x) => (typeof claim === 'string' ? x.claim === claim : claim.test(x.claim)));
  assert.ok(r, `a row ${claim} in ${rows(s).map((x) => x.claim).join(' / ')}`);
  return r;
};
const gateway = (s: ClaimsFixtureScenario): XdsProxy => proxyOf(s.result, 'istio-ingress')!;
/** The route call `i` matched, inside the copy (so editing it edits the config). */
const route = (s: ClaimsFixtureScenario, i = 0): EnvoyJson => matchedRoute(s.result, s.result.calls[i]!)!;
const endpoints = (p: XdsProxy, cluster: string): EnvoyJson[] => p.endpoints.find((e) => e.cluster_name === cluster)!.endpoints[0].lb_endpoints;
const V = (subset: string, service = 'products'): string => `outbound|8080|${subset}|${service}.shop.svc.cluster.local`;
const GW = 'gateway http://shop.localhost/api/products/101';

/** A pod of `deployment` at `ip`, behind `cluster` of the gateway, with the Deployment's env. */
function addPod(s: ClaimsFixtureScenario, cluster: string, deployment: string, ip: string, env: Record<string, string> = {}, via: XdsProxy = gateway(s)): void {
  s.result.pods.push({ name: `${deployment}-x-${ip.split('.').pop()}`, namespace: 'shop', deployment, ip, labels: {}, serviceAccount: 'products', injected: true, gateway: false });
  endpoints(via, cluster).push({ endpoint: { address: { socket_address: { address: ip, port_value: 8080 } } } });
  setEnv(s, deployment, env);
}
function setEnv(s: ClaimsFixtureScenario, deployment: string, env: Record<string, string>): void {
  let d = s.objects.find((o) => o.metadata.name === deployment);
  if (!d) {
    d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: deployment, namespace: 'shop' }, spec: { template: { metadata: { labels: {} }, spec: { containers: [{ name: 'app', env: [] }] } } } };
    s.objects.push(d);
  }
  const c = (d.spec as EnvoyJson).template.spec.containers[0] as { env: { name: string; value?: string }[] };
  for (const [name, value] of Object.entries(env)) c.env = [...c.env.filter((e) => e.name !== name), { name, value }];
}

test('every shipped scenario holds in the real generated config, with the calls the generator simulated', () => {
  assert.equal(FIXTURE.scenarios.length, 14);
  for (const s of FIXTURE.scenarios) {
    assert.deepEqual(callsFor(s.expectations, s.objects), s.result.calls.map((c) => c.call), `${s.scenario}: the calls`);
    const r = rows(s);
    assert.ok(r.length > 0, s.scenario);
    assert.deepEqual(r.filter((x) => !x.pass), [], s.scenario);
  }
});

test('the claims table of the real config: what each claim promises and what the config says', () => {
  const table = (s: ClaimsFixtureScenario) => rows(s).map((r) => `${r.claim} | ${r.promised} | ${r.generated}`);
  assert.deepEqual(table(real('canary')), [
    `${GW}: weighted clusters | {"v1":90,"v2":10} | {"v1":90,"v2":10}`,
    'share of v2 | 0.1 | 0.1',
    `${GW}: every destination has pods | ≥ 1 pod per subset that receives traffic | v1: 1 pod(s), v2: 1 pod(s)`,
  ]);
  assert.deepEqual(table(real('ab')).map((x) => x.split(' | ')[0]), [`${GW} x-user-group: beta: subset`, `${GW} x-user-group: beta: every destination has pods`, `${GW}: subset`, `${GW}: every destination has pods`]);
  assert.deepEqual(table(real('fault')).slice(1), ['delay share | 0.2 | 0.2', 'delay (ms) | 1000 | 1000', 'abort share | 0.1 | 0.1', 'abort status | 500 | 500']);
  assert.deepEqual(table(real('timeout')), ['orders-v1 → products.shop/products/101: route timeout (ms) | 500 | 500', 'share of calls that time out (slow pods behind the routed clusters) | 1 | 1']);
  assert.deepEqual(table(real('retries')), [
    'orders-v1 → payments.shop/payments: retry attempts | 5 | 5',
    'retryOn | 5xx,reset,connect-failure | 5xx,reset,connect-failure',
    'perTryTimeout (ms) | 300 | 300',
    'error share of the payments pods that receive the calls | 0.3 | 0.3',
  ]);
  assert.deepEqual(table(real('breaker')), [
    'v1: maxConnections | 1 | 1', 'v1: http1MaxPendingRequests | 1 | 1', 'v1: maxRequestsPerConnection | 1 | 1', 'v1: outlier consecutive 5xx | 3 | 3',
    'v1: outlier interval (ms) | 1000 | 1000', 'v1: base ejection time (ms) | 180000 | 180000', 'v1: max ejection % | 50 | 50',
    `${GW}: pods behind the route | 4 | 4`, 'always-failing pods behind the route | 1 | 1',
  ]);
  assert.deepEqual(table(real('mirror')), [`${GW}: served by | v1 | v1`, 'mirrored to | v2 | v2', 'mirrored share | 1 | 1', 'the mirror subset has pods | ≥ 1 | 1', `${GW}: every destination has pods | ≥ 1 pod per subset that receives traffic | v1: 1 pod(s)`]);
  assert.equal(table(real('mtls'))[3], 'products-v1 inbound :8080 | plaintext refused, mTLS accepted | plaintext: no filter chains matched; mtls: accepted (0.0.0.0_8080)');
  const jwks = 'http://users.shop.svc.cluster.local:8080/.well-known/jwks.json';
  assert.deepEqual(table(real('jwt')), [
    'gateway jwt_authn provider | issuer shopmesh-users | issuer shopmesh-users',
    `JWKS istiod fetched and inlined | ${jwks} | ${jwks} (keys inlined)`,
    'gateway RBAC: no principal on the protected paths | DENY on /api/orders, /api/orders/* | DENY',
    'gateway RBAC: a principal passes | not denied | not denied',
    'gateway http://shop.localhost/api/orders/5001: every destination has pods | ≥ 1 pod per subset that receives traffic | v1: 1 pod(s)',
  ]);
  const authz = real('authz');
  assert.deepEqual(table(authz), authz.expectations.edges.map((e) => `${e.from} → ${e.to} | ${e.allowed ? 'allow' : 'deny'} | ${e.allowed ? 'allow' : 'deny'}`));
  assert.ok(authz.expectations.edges.some((e) => e.allowed) && authz.expectations.edges.some((e) => !e.allowed));
  assert.deepEqual(table(real('tls')), [
    'gateway HTTPS listener secret (SDS) | kubernetes://shop-localhost-tls | kubernetes://shop-localhost-tls',
    'gateway https://shop.localhost/api/products/101: routed | a cluster with pods | v1: 1 pod(s)',
    'gateway http://shop.localhost/api/products/101: redirect | 301 to https | tls required, sending 301',
  ]);
  const bucket = '{"maxTokens":10,"tokensPerFill":10,"fillIntervalMs":1000}';
  assert.deepEqual(table(real('ratelimit')), [`products-v1-5d8f7c9b6-abcde inbound local_ratelimit bucket | ${bucket} | ${bucket}`, `${GW}: pods that receive the load and keep a bucket | 1 | 1`]);
  assert.deepEqual(table(real('lb')), [`${GW}: hash policy header | x-user-id | x-user-id`, 'v1: consistent-hash load balancer | RING_HASH or MAGLEV | RING_HASH', 'pods the users are hashed over | 3 | 3']);
});

test('a generator error is one failing row that carries it', () => {
  const s = real('canary');
  s.result.error = 'pilot: invalid VirtualService';
  assert.deepEqual(rows(s), [{ claim: 'istiod generates the config', promised: 'no error', generated: 'pilot: invalid VirtualService', pass: false }]);
});

test('the proxy standing for an app: its v1 Deployment, else its first, else the name v1 would have', () => {
  const d = (name: string, labels: Record<string, string>, kind = 'Deployment'): KubeObject => ({ apiVersion: 'apps/v1', kind, metadata: { name }, spec: { template: { metadata: { labels } } } });
  const objects = [d('products-canary', { app: 'products', version: 'v2' }), d('products-stable', { app: 'products', version: 'v1' }), d('orders-blue', { app: 'orders', version: 'v3' })];
  assert.equal(deploymentFor(objects, 'products'), 'products-stable');
  assert.equal(deploymentFor(objects, 'orders'), 'orders-blue');
  assert.equal(deploymentFor(objects, 'reviews'), 'reviews-v1');
  assert.equal(deploymentFor([d('products-job', { app: 'products', version: 'v1' }, 'Job'), objects[0]!], 'products'), 'products-canary', 'only Deployments');
  assert.equal(deploymentFor([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bare' } }], 'products'), 'products-v1', 'a Deployment without a template');
});

test('calls: east-west from the orders proxy, or through the gateway when orders itself is the route', () => {
  const timeout = real('timeout');
  assert.deepEqual(callsFor({ ...timeout.expectations, routeService: 'orders' }, timeout.objects), [{ proxy: 'istio-ingress', mode: 'gateway', port: 80, host: 'shop.localhost', path: '/api/orders/5001' }]);
  assert.deepEqual(callsFor({ ...real('retries').expectations, service: 'reviews' }, []), [{ proxy: 'orders-v1', mode: 'outbound', service: 'reviews.shop', port: 8080, host: 'reviews:8080', path: '/' }]);
  assert.deepEqual(callsFor({ scenario: 'authz', namespace: 'shop', sources: [], edges: [] }, timeout.objects), []);
  const objects: KubeObject[] = [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'products-v1' }, spec: { template: { metadata: { labels: { app: 'products' } } } } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'legacy-client', namespace: 'legacy' }, spec: { template: { metadata: { labels: { app: 'client' } } } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'products', namespace: 'shop' } },
  ];
  assert.deepEqual(callsFor(real('mtls').expectations, objects), [
    { proxy: 'products-v1', mode: 'inbound', port: 8080, host: 'products:8080', path: '/', tls: 'plaintext' },
    { proxy: 'products-v1', mode: 'inbound', port: 8080, host: 'products:8080', path: '/', tls: 'mtls' },
  ], 'only mesh-namespace Deployments (no namespace means shop), plaintext and mTLS into each');
});

test('every destination has pods: an empty subset, a route to no cluster, an unrouted call or a missing call fail', () => {
  const canary = real('canary');
  endpoints(gateway(canary), V('v2')).length = 0;
  assert.deepEqual(failing(canary), [`${GW}: every destination has pods`]);
  assert.equal(rowOf(canary, /every destination/).generated, 'v1: 1 pod(s), v2: 0 pod(s)');

  const baseline = real('baseline');
  delete route(baseline, 3).route;
  route(baseline, 3).direct_response = { status: 404 };
  assert.deepEqual(failing(baseline), [`${GW}: every destination has pods`]);
  assert.equal(rowOf(baseline, `${GW}: every destination has pods`).generated, 'no cluster');

  const unrouted = real('baseline');
  unrouted.result.calls[0] = { ...unrouted.result.calls[0]!, routeIndex: -1, error: 'no route matched' };
  assert.deepEqual(rows(unrouted).filter((r) => !r.pass).map((r) => r.generated), ['no route matched']);

  const short = real('ab');
  short.result.calls.pop();
  assert.deepEqual(failing(short), ['(no call): subset', '(no call): every destination has pods']);
  assert.equal(rowOf(short, '(no call): subset').generated, 'not simulated');

  const whole = real('baseline');
  route(whole, 0).route = { cluster: V('', 'notifications') };
  gateway(whole).endpoints.find((e) => e.cluster_name === V('', 'notifications'))!.endpoints = [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.244.1.10' } } } }] }];
  assert.equal(rowOf(whole, /notifications: every destination/).generated, 'notifications.shop.svc.cluster.local: 1 pod(s)', 'a cluster without a subset is named by its service');
  assert.equal(rowOf(whole, /notifications: every destination/).pass, true);

  const stray = real('canary');
  stray.result.calls[0]!.call.proxy = 'products-v9';
  assert.equal(rowOf(stray, /every destination/).generated, 'no cluster', 'a proxy the generator never built routes nothing');
  assert.equal(rowOf(stray, /every destination/).pass, false);
});

test('canary: the weights as shares of their total, the share of the new version', () => {
  const scaled = real('canary');
  for (const c of route(scaled).route.weighted_clusters.clusters) c.weight /= 10;
  assert.deepEqual(failing(scaled), [], '9:1 is 90:10');

  const off = real('canary');
  route(off).route.weighted_clusters.clusters[1].weight = 20;
  assert.deepEqual(failing(off), [`${GW}: weighted clusters`, 'share of v2']);
  assert.equal(rowOf(off, 'share of v2').generated, String(20 / 110));

  const extra = real('canary');
  route(extra).route.weighted_clusters.clusters.push({ name: V('v3'), weight: 5 });
  assert.ok(failing(extra).includes(`${GW}: weighted clusters`), 'a subset the overlay never named');

  const split = real('canary');
  route(split).route.weighted_clusters.clusters = [{ name: V('v1'), weight: 45 }, { name: V('v1'), weight: 45 }, { name: V('v2'), weight: 10 }];
  assert.deepEqual(failing(split), [], 'two entries of one subset add up');
  assert.equal(rowOf(split, /weighted clusters/).generated, '{"v1":90,"v2":10}');

  const single = real('canary');
  route(single).route = { cluster: V('v1') };
  assert.deepEqual(failing(single), [`${GW}: weighted clusters`, 'share of v2']);
  assert.equal(rowOf(single, 'share of v2').generated, '0');

  const none = real('canary');
  route(none).route = {};
  assert.equal(rowOf(none, 'share of v2').generated, '0', 'no cluster: a share of nothing, not a division by zero');
  const zero = real('canary');
  zero.expectations.weights = {};
  zero.expectations.share = 0;
  route(zero).route = {};
  assert.equal(rowOf(zero, /weighted clusters/).pass, true, 'no weights promised, none generated');
});

test('ab: each call lands on exactly its one subset', () => {
  const swapped = real('ab');
  route(swapped, 0).route.cluster = V('v1');
  assert.deepEqual(failing(swapped), [`${GW} x-user-group: beta: subset`]);
  const both = real('ab');
  route(both, 1).route = { weighted_clusters: { clusters: [{ name: V('v1'), weight: 50 }, { name: V('v2'), weight: 50 }] } };
  assert.deepEqual(failing(both), [`${GW}: subset`]);
  assert.equal(rowOf(both, `${GW}: subset`).generated, 'v1, v2');
});

test('fault: the filter on the route, each share, delay and status as promised; no row for what is not promised', () => {
  const gone = real('fault');
  delete route(gone).typed_per_filter_config;
  assert.deepEqual(rows(gone).map((r) => [r.claim, r.generated, r.pass]), [
    [`${GW}: fault filter on the route the gateway uses`, 'none', false],
    ['delay share', 'none', false], ['delay (ms)', 'none', false], ['abort share', 'none', false], ['abort status', 'none', false],
  ]);
  const f = (s: Scenario) => route(s).typed_per_filter_config['envoy.filters.http.fault'];
  const cases: [string, (x: EnvoyJson) => void][] = [
    ['delay share', (x) => (x.delay.percentage.numerator = 100_000)],
    ['delay (ms)', (x) => (x.delay.fixed_delay = '2s')],
    ['abort share', (x) => (x.abort.percentage = { numerator: 20 })],
    ['abort status', (x) => (x.abort.http_status = 503)],
  ];
  for (const [claim, breakIt] of cases) {
    const s = real('fault');
    breakIt(f(s));
    assert.deepEqual(failing(s), [claim]);
  }
  const abortOnly = real('fault');
  delete abortOnly.expectations.delay;
  assert.deepEqual(rows(abortOnly).map((r) => r.claim), [`${GW}: fault filter on the route the gateway uses`, 'abort share', 'abort status']);
  const delayOnly = real('fault');
  delete delayOnly.expectations.abort;
  assert.deepEqual(rows(delayOnly).map((r) => r.claim), [`${GW}: fault filter on the route the gateway uses`, 'delay share', 'delay (ms)']);
});

test('timeout: the route timeout, and the share of calls that reach a pod slower than it', () => {
  const s = real('timeout');
  const orders = proxyOf(s.result, 'orders-v1')!;
  const slowPod = s.result.pods.find((p) => p.deployment === 'products-v1')!;
  const share = (x: ClaimsFixtureScenario) => rowOf(x, /share of calls that time out/);
  assert.equal(share(s).pass, true);

  const longer = real('timeout');
  route(longer).route.timeout = '5s';
  assert.deepEqual(failing(longer), ['orders-v1 → products.shop/products/101: route timeout (ms)', 'share of calls that time out (slow pods behind the routed clusters)']);
  assert.equal(share(longer).generated, '0', 'the 3000 ms pods answer within 5 s');

  const none = real('timeout');
  delete route(none).route.timeout;
  assert.equal(share(none).generated, '0', 'no route timeout: nothing times out');

  const equal = real('timeout');
  setEnv(equal, slowPod.deployment, { LATENCY_MS: '500' });
  assert.equal(share(equal).generated, '0', 'a pod exactly as slow as the timeout still answers');

  const half = real('timeout');
  addPod(half, V('v1'), 'products-fast', '10.244.9.1', { LATENCY_MS: '0' }, proxyOf(half.result, 'orders-v1')!);
  assert.equal(share(half).generated, '0.5', 'one slow pod of two');

  const partly = real('timeout');
  setEnv(partly, slowPod.deployment, { LATENCY_PERCENT: '40' });
  assert.equal(share(partly).generated, '0.4', 'a pod slow on 40% of its calls');
  partly.expectations.timeoutShare = 0.4;
  assert.equal(share(partly).pass, true);

  const fast = real('timeout');
  setEnv(fast, slowPod.deployment, { LATENCY_MS: '0' });
  fast.objects.find((o) => o.metadata.name === slowPod.deployment)!.spec = {};
  assert.equal(share(fast).generated, '0', 'a Deployment without containers has no switches');

  const weighted = real('timeout');
  delete route(weighted).route.cluster;
  route(weighted).route.weighted_clusters = { clusters: [{ name: V('v1'), weight: 80 }, { name: V('v2'), weight: 20 }] };
  proxyOf(weighted.result, 'orders-v1')!.endpoints.push({ cluster_name: V('v2'), endpoints: [{ lb_endpoints: [] }] });
  assert.equal(share(weighted).generated, '0.8', 'a subset without pods adds nothing (and no NaN)');
  addPod(weighted, V('v2'), 'products-v2', '10.244.9.2', { LATENCY_MS: '9000', LATENCY_PERCENT: '50' }, proxyOf(weighted.result, 'orders-v1')!);
  assert.equal(share(weighted).generated, '0.9');
  assert.ok(orders);
});

test('retries: attempts, every promised retryOn condition, the per-try timeout, the error share of the pods', () => {
  const attempts = real('retries');
  route(attempts).route.retry_policy.num_retries = 2;
  assert.deepEqual(failing(attempts), ['orders-v1 → payments.shop/payments: retry attempts']);

  const noPolicy = real('retries');
  delete route(noPolicy).route.retry_policy;
  assert.deepEqual(rows(noPolicy).map((r) => [r.generated, r.pass]), [['0', false], ['none', false], ['none', false], ['0.3', true]]);

  const narrower = real('retries');
  route(narrower).route.retry_policy.retry_on = '5xx,connect-failure';
  assert.deepEqual(failing(narrower), ['retryOn'], 'reset is promised but not retried');
  const wider = real('retries');
  wider.expectations.retryOn = ' 5xx , reset';
  assert.deepEqual(failing(wider), [], 'more conditions than promised is fine; spaces do not count');

  const perTry = real('retries');
  route(perTry).route.retry_policy.per_try_timeout = '1s';
  assert.deepEqual(failing(perTry), ['perTryTimeout (ms)']);
  delete perTry.expectations.perTryTimeoutMs;
  assert.ok(!rows(perTry).some((r) => r.claim === 'perTryTimeout (ms)'), 'no row when none is promised');

  const healthy = real('retries');
  const payments = healthy.result.pods.find((p) => p.deployment === 'payments-v1')!;
  setEnv(healthy, payments.deployment, { ERROR_PERCENT: '0' });
  assert.deepEqual(failing(healthy), ['error share of the payments pods that receive the calls']);
  addPod(healthy, V('v1', 'payments'), 'payments-flaky', '10.244.9.3', { ERROR_PERCENT: '60' }, proxyOf(healthy.result, 'orders-v1')!);
  assert.equal(rowOf(healthy, /error share/).generated, '0.3', 'the mean over the pods behind the route');
  assert.equal(rowOf(healthy, /error share/).pass, true);

  const unset = real('retries');
  for (const o of unset.objects) for (const c of (o.spec as EnvoyJson).template.spec.containers) c.env = c.env.filter((e: { name: string }) => e.name !== 'ERROR_PERCENT');
  assert.equal(rowOf(unset, /error share/).generated, '0', 'no switch: no errors');

  const podless = real('retries');
  endpoints(proxyOf(podless.result, 'orders-v1')!, V('v1', 'payments')).length = 0;
  assert.equal(rowOf(podless, /error share/).generated, 'none');
  assert.equal(rowOf(podless, /error share/).pass, false);
});

test('breaker: pool and outlier settings on each cluster the route uses, the pods and the failing ones', () => {
  const cluster = (s: ClaimsFixtureScenario) => gateway(s).clusters.find((c) => c.name === V('v1'))!;
  const cases: [string, (c: EnvoyJson) => void][] = [
    ['v1: maxConnections', (c) => (c.circuit_breakers.thresholds[0].max_connections = 100)],
    ['v1: http1MaxPendingRequests', (c) => (c.circuit_breakers.thresholds[0].max_pending_requests = 100)],
    ['v1: maxRequestsPerConnection', (c) => delete c.typed_extension_protocol_options],
    ['v1: outlier consecutive 5xx', (c) => (c.outlier_detection.consecutive_5xx = 5)],
    ['v1: outlier interval (ms)', (c) => (c.outlier_detection.interval = '10s')],
    ['v1: base ejection time (ms)', (c) => (c.outlier_detection.base_ejection_time = '30s')],
    ['v1: max ejection %', (c) => (c.outlier_detection.max_ejection_percent = 10)],
  ];
  for (const [claim, breakIt] of cases) {
    const s = real('breaker');
    breakIt(cluster(s));
    assert.deepEqual(failing(s), [claim]);
  }
  const legacy = real('breaker');
  delete cluster(legacy).typed_extension_protocol_options;
  cluster(legacy).max_requests_per_connection = 1;
  assert.deepEqual(failing(legacy), [], 'the older cluster field counts too');

  const unlimited = real('breaker');
  unlimited.expectations.pool.maxRequestsPerConnection = 0; // 0 or unset: Envoy's default, no limit
  assert.ok(!rows(unlimited).some((r) => r.claim === 'v1: maxRequestsPerConnection'), 'no row when none is promised');

  const bare = real('breaker');
  gateway(bare).clusters = [];
  assert.equal(rows(bare).filter((r) => r.claim.startsWith('v1:')).every((r) => !r.pass && r.generated === 'none'), true, 'a cluster the gateway lacks fails every setting');

  const whole = real('breaker');
  route(whole).route.cluster = V('');
  gateway(whole).endpoints.find((e) => e.cluster_name === V(''))!.endpoints = structuredClone(gateway(whole).endpoints.find((e) => e.cluster_name === V('v1'))!.endpoints);
  assert.ok(rows(whole).some((r) => r.claim === 'service: maxConnections'), 'a route to the whole service');

  const fewer = real('breaker');
  endpoints(gateway(fewer), V('v1')).pop();
  assert.ok(failing(fewer).includes(`${GW}: pods behind the route`));

  const healed = real('breaker');
  for (const o of healed.objects) setEnv(healed, o.metadata.name, { ALWAYS_FAIL: 'false' });
  assert.deepEqual(failing(healed), ['always-failing pods behind the route']);
  assert.equal(rowOf(healed, 'always-failing pods behind the route').generated, '0');
});

test('mirror: served by the route version alone, mirrored to the other, at the promised share, onto pods', () => {
  const policy = (s: ClaimsFixtureScenario) => route(s).route.request_mirror_policies[0];
  const wrongTarget = real('mirror');
  policy(wrongTarget).cluster = V('v1');
  assert.deepEqual(failing(wrongTarget), ['mirrored to']);

  const half = real('mirror');
  policy(half).runtime_fraction.default_value = { numerator: 50 };
  assert.deepEqual(failing(half), ['mirrored share']);
  const all = real('mirror');
  delete policy(all).runtime_fraction;
  assert.deepEqual(failing(all), [], 'no runtime fraction mirrors every call');

  const none = real('mirror');
  delete route(none).route.request_mirror_policies;
  assert.deepEqual(rows(none).filter((r) => !r.pass).map((r) => [r.claim, r.generated]), [['mirrored to', 'none'], ['mirrored share', 'none'], ['the mirror subset has pods', '0']]);

  const empty = real('mirror');
  endpoints(gateway(empty), V('v2')).length = 0;
  assert.deepEqual(failing(empty), ['the mirror subset has pods']);

  const split = real('mirror');
  route(split).route.weighted_clusters = { clusters: [{ name: V('v1'), weight: 50 }, { name: V('v2'), weight: 50 }] };
  delete route(split).route.cluster;
  assert.deepEqual(failing(split), [`${GW}: served by`]);
  const other = real('mirror');
  route(other).route.cluster = V('v2');
  assert.ok(failing(other).includes(`${GW}: served by`), 'served by the mirror version');
});

test('mtls: STRICT refuses plaintext and accepts mTLS into each workload; PERMISSIVE accepts plaintext', () => {
  const open = real('mtls');
  const plain = open.result.calls.find((c) => c.call.proxy === 'products-v1' && c.call.tls === 'plaintext')!;
  delete plain.error;
  plain.filterChain = '0.0.0.0_8080';
  assert.deepEqual(failing(open), ['products-v1 inbound :8080']);

  const closed = real('mtls');
  closed.result.calls.find((c) => c.call.proxy === 'products-v1' && c.call.tls === 'mtls')!.error = 'no filter chains matched';
  assert.deepEqual(failing(closed), ['products-v1 inbound :8080'], 'STRICT that refuses mTLS too is no mesh');

  const lone = real('mtls');
  lone.result.calls = lone.result.calls.filter((c) => !(c.call.proxy === 'products-v1' && c.call.tls === 'mtls'));
  assert.deepEqual(failing(lone), ['products-v1 inbound :8080'], 'no mTLS call to compare');

  const permissive = real('mtls');
  permissive.expectations.legacyShare = 0.5;
  assert.equal(failing(permissive).length, 7, 'every workload refuses plaintext');
  assert.equal(rowOf(permissive, 'products-v1 inbound :8080').promised, 'plaintext accepted');
  for (const c of permissive.result.calls) delete c.error;
  assert.deepEqual(failing(permissive), []);

  const nobody = real('mtls');
  nobody.result.calls = [];
  assert.deepEqual(rows(nobody), [{ claim: 'shop workloads', promised: 'at least one', generated: 'none', pass: false }]);
});

test('jwt: the provider for the issuer with the fetched keys inlined, a DENY without a principal and none with one', () => {
  const filters = (s: ClaimsFixtureScenario): EnvoyJson[] => gateway(s).listeners.find((l) => l.name === '0.0.0.0_80')!.filter_chains[0].filters[0].typed_config.http_filters;
  const authn = (s: ClaimsFixtureScenario) => filters(s).find((f) => f.name === 'envoy.filters.http.jwt_authn')!.typed_config;
  const rbac = (s: ClaimsFixtureScenario) => filters(s).find((f) => f.name === 'envoy.filters.http.rbac')!.typed_config.rules;

  const otherIssuer = real('jwt');
  for (const p of Object.values(authn(otherIssuer).providers) as EnvoyJson[]) p.issuer = 'someone-else';
  assert.deepEqual(failing(otherIssuer), ['gateway jwt_authn provider', 'JWKS istiod fetched and inlined']);

  const notInlined = real('jwt');
  for (const p of Object.values(authn(notInlined).providers) as EnvoyJson[]) p.local_jwks.inline_string = '{"keys":[]}';
  assert.deepEqual(failing(notInlined), ['JWKS istiod fetched and inlined']);
  const notFetched = real('jwt');
  notFetched.result.jwksFetches = [];
  assert.deepEqual(failing(notFetched), ['JWKS istiod fetched and inlined']);
  assert.equal(rowOf(notFetched, 'JWKS istiod fetched and inlined').generated, 'nothing fetched (keys inlined)');

  const noGateway = real('jwt');
  noGateway.result.proxies = noGateway.result.proxies.filter((p) => p.deployment !== 'istio-ingress');
  assert.ok(failing(noGateway).includes('gateway jwt_authn provider'));

  const allowing = real('jwt');
  rbac(allowing).action = 'ALLOW';
  assert.deepEqual(failing(allowing), ['gateway RBAC: no principal on the protected paths']);

  const partly = real('jwt');
  partly.expectations.protectedPaths = [...partly.expectations.protectedPaths, '/api/payments*'];
  assert.deepEqual(failing(partly), ['gateway RBAC: no principal on the protected paths'], 'a protected path the DENY misses');

  const everyone = real('jwt');
  const [name, policy] = Object.entries(rbac(everyone).policies as Record<string, EnvoyJson>)[0]!;
  rbac(everyone).policies = { [name]: { ...policy, principals: [{ any: true }] } };
  assert.deepEqual(failing(everyone), ['gateway RBAC: a principal passes'], 'a DENY that also stops token holders');
});

test('authz: an edge is allowed only by a proxy whose DENY rules miss it and whose ALLOW rules all match it', () => {
  const edge = (from: string, to: string) => (s: ClaimsFixtureScenario) => rowOf(s, `${from} → ${to}`);
  const http = (s: ClaimsFixtureScenario, app: string): EnvoyJson[] => proxyOf(s.result, `${app}-v1`)!.listeners.find((l) => l.name === 'virtualInbound')!.filter_chains.find((c: EnvoyJson) => c.filter_chain_match?.destination_port === 8080).filters[1].typed_config.http_filters;
  const allowRules = (s: ClaimsFixtureScenario, app: string) => http(s, app).find((f) => f.name === 'envoy.filters.http.rbac' && f.typed_config.rules.action !== 'DENY')!.typed_config.rules;

  const opened = real('authz');
  allowRules(opened, 'payments').policies.everyone = { permissions: [{ any: true }], principals: [{ any: true }] };
  assert.deepEqual(failing(opened), ['notifications → payments', 'products → payments', 'storefront → payments', 'users → payments']);

  const denied = real('authz');
  http(denied, 'users').unshift({ name: 'envoy.filters.http.rbac', typed_config: { rules: { action: 'DENY', policies: { orders: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/shop/sa/orders' } } }] } } } } });
  assert.deepEqual(failing(denied), ['orders → users']);
  assert.equal(edge('orders', 'users')(denied).generated, 'deny');

  const second = real('authz');
  http(second, 'users').push({ name: 'envoy.filters.http.rbac', typed_config: { rules: { policies: { onlyStorefront: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/shop/sa/storefront' } } }] } } } } });
  assert.deepEqual(failing(second), ['orders → users'], 'every ALLOW rule set must match');

  const pathRule = real('authz');
  const p = allowRules(pathRule, 'orders').policies;
  for (const k of Object.keys(p)) if (p[k].principals) p[k].permissions = [{ url_path: { path: { exact: '/orders/5001' } } }];
  assert.deepEqual(failing(pathRule), [], 'the edge path, without its query, is what the rules see');
  for (const k of Object.keys(p)) if (p[k].principals) p[k].permissions = [{ url_path: { path: { exact: '/orders' } } }];
  assert.deepEqual(failing(pathRule), ['storefront → orders']);

  const gone = real('authz');
  gone.result.proxies = gone.result.proxies.filter((x) => x.deployment !== 'users-v1');
  assert.deepEqual(rows(gone).filter((r) => r.claim.endsWith('→ users')).map((r) => [r.generated, r.pass]), [['no proxy', true], ['no proxy', false], ['no proxy', true], ['no proxy', true], ['no proxy', false]], 'no proxy allows nothing');

  const noChain = real('authz');
  const vi = proxyOf(noChain.result, 'users-v1')!.listeners.find((l) => l.name === 'virtualInbound')!;
  vi.filter_chains = vi.filter_chains.filter((c: EnvoyJson) => c.filter_chain_match?.destination_port !== 8080);
  assert.deepEqual(failing(noChain), ['orders → users', 'storefront → users'], 'no HTTP chain for the port serves nothing');
});

test('tls: the HTTPS listener serves the secret, routes to pods, and plain HTTP is redirected when promised', () => {
  const https = (s: ClaimsFixtureScenario) => gateway(s).listeners.find((l) => l.address?.socket_address?.port_value === 443)!;
  const sds = (s: ClaimsFixtureScenario) => https(s).filter_chains[0].transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs;
  const other = real('tls');
  sds(other)[0].name = 'kubernetes://other-tls';
  assert.deepEqual(failing(other), ['gateway HTTPS listener secret (SDS)']);
  const none = real('tls');
  gateway(none).listeners = gateway(none).listeners.filter((l) => l.address?.socket_address?.port_value !== 443);
  assert.equal(rowOf(none, 'gateway HTTPS listener secret (SDS)').generated, 'no HTTPS listener');

  const unrouted = real('tls');
  unrouted.result.calls[0] = { ...unrouted.result.calls[0]!, routeIndex: -1, error: 'no route matched' };
  assert.deepEqual(failing(unrouted), ['gateway https://shop.localhost/api/products/101: routed']);
  const podless = real('tls');
  endpoints(gateway(podless), V('v1')).length = 0;
  assert.deepEqual(failing(podless), ['gateway https://shop.localhost/api/products/101: routed']);
  const halfEmpty = real('tls');
  route(halfEmpty).route = { weighted_clusters: { clusters: [{ name: V('v1'), weight: 50 }, { name: V('v2'), weight: 50 }] } };
  gateway(halfEmpty).endpoints.push({ cluster_name: V('v2'), endpoints: [{ lb_endpoints: [] }] });
  assert.deepEqual(failing(halfEmpty), ['gateway https://shop.localhost/api/products/101: routed'], 'one subset without pods');
  const clusterless = real('tls');
  route(clusterless).route = {};
  assert.deepEqual(failing(clusterless), ['gateway https://shop.localhost/api/products/101: routed']);

  const served = real('tls');
  delete served.result.calls[1]!.error;
  assert.deepEqual(failing(served), ['gateway http://shop.localhost/api/products/101: redirect']);
  served.expectations.httpsRedirect = false;
  assert.deepEqual(failing(served), []);
  assert.equal(rowOf(served, /redirect/).promised, 'served');
  const refused = real('tls');
  refused.expectations.httpsRedirect = false;
  assert.deepEqual(failing(refused), ['gateway http://shop.localhost/api/products/101: redirect'], 'a redirect where plain HTTP should be served');
  const missing = real('tls');
  missing.result.calls.pop();
  assert.equal(rowOf(missing, /: redirect$/).claim, 'http: redirect');
  assert.equal(rowOf(missing, /: redirect$/).pass, false);
});

test('ratelimit: a bucket as promised in each pod that receives the load, and as many pods as instances', () => {
  const bucket = (s: ClaimsFixtureScenario, deployment = 'products-v1') => {
    const vi = proxyOf(s.result, deployment)!.listeners.find((l) => l.name === 'virtualInbound')!;
    return vi.filter_chains.find((c: EnvoyJson) => c.filter_chain_match?.destination_port === 8080).filters[1].typed_config.http_filters[0].typed_config.value.token_bucket;
  };
  const claim = 'products-v1-5d8f7c9b6-abcde inbound local_ratelimit bucket';
  for (const [field, value] of [['max_tokens', 100], ['tokens_per_fill', 1], ['fill_interval', '0.100s']] as const) {
    const s = real('ratelimit');
    bucket(s)[field] = value;
    assert.deepEqual(failing(s), [claim], field);
  }
  const defaultFill = real('ratelimit');
  delete bucket(defaultFill).tokens_per_fill;
  defaultFill.expectations.tokensPerFill = 1;
  assert.deepEqual(failing(defaultFill), [], 'tokens_per_fill defaults to 1');

  const noBucket = real('ratelimit');
  const vi = proxyOf(noBucket.result, 'products-v1')!.listeners.find((l) => l.name === 'virtualInbound')!;
  vi.filter_chains = vi.filter_chains.filter((c: EnvoyJson) => c.filter_chain_match?.destination_port !== 8080);
  assert.deepEqual(rows(noBucket).map((r) => [r.generated, r.pass]), [['none', false], ['0', false]]);

  const twoPods = real('ratelimit');
  addPod(twoPods, V('v1'), 'products-v1', '10.244.9.4');
  assert.deepEqual(failing(twoPods), [`${GW}: pods that receive the load and keep a bucket`], 'two buckets where one was promised');
  assert.equal(rowOf(twoPods, /keep a bucket/).generated, '2');

  const unknown = real('ratelimit');
  addPod(unknown, V('v1'), 'products-canary', '10.244.9.5');
  assert.deepEqual(rows(unknown).map((r) => [r.generated, r.pass]).slice(1), [['none', false], ['1', true]], 'a pod without a proxy keeps no bucket');
});

test('lb: the hash header on the route, a consistent-hash balancer on each cluster, the pods hashed over', () => {
  const hash = real('lb');
  route(hash).route.hash_policy = [{ header: { header_name: 'x-session' } }];
  assert.deepEqual(failing(hash), [`${GW}: hash policy header`]);
  const cookie = real('lb');
  route(cookie).route.hash_policy = [{ cookie: { name: 'x-user-id' } }];
  assert.equal(rowOf(cookie, /hash policy/).generated, 'none');

  const cluster = (s: ClaimsFixtureScenario) => gateway(s).clusters.find((c) => c.name === V('v1'))!;
  const maglev = real('lb');
  cluster(maglev).lb_policy = 'MAGLEV';
  assert.deepEqual(failing(maglev), []);
  const rr = real('lb');
  delete cluster(rr).lb_policy;
  assert.deepEqual(failing(rr), ['v1: consistent-hash load balancer']);
  assert.equal(rowOf(rr, /consistent-hash/).generated, 'ROUND_ROBIN');
  const leastReq = real('lb');
  cluster(leastReq).lb_policy = 'LEAST_REQUEST';
  assert.deepEqual(failing(leastReq), ['v1: consistent-hash load balancer']);

  const whole = real('lb');
  route(whole).route.cluster = V('');
  assert.ok(rows(whole).some((r) => r.claim === 'service: consistent-hash load balancer'));

  const fewer = real('lb');
  endpoints(gateway(fewer), V('v1')).pop();
  assert.deepEqual(failing(fewer), ['pods the users are hashed over']);
});

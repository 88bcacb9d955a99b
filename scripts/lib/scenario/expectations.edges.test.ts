// Edge cases of deriving expectations, each from a few in-test manifests: which route counts
// (gateway or mesh), which pods receive traffic, how authz rules match, and what a missing piece throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../kube/render.ts';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { deriveExpectations, durationMs, ExpectationError, retryOnCovers } from './expectations.ts';

type Spec = Record<string, unknown>;
const GW = 'istio-ingress/shop-gateway';

const kube = (kind: string, name: string, spec: Spec = {}, metadata: Partial<KubeObject['metadata']> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'shop', ...metadata }, spec });

interface DeployOptions { replicas?: number; env?: Record<string, string>; labels?: Record<string, string>; name?: string; bare?: boolean }
/** A Deployment of `app` at `version`; `bare` leaves the app label off its own metadata (the template keeps it). */
const deploy = (app: string, version: string, o: DeployOptions = {}): KubeObject => kube('Deployment', o.name ?? `${app}-${version}`, {
  ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
  template: {
    metadata: { labels: { app, version, ...o.labels } },
    spec: { containers: [{ name: app, image: `shopmesh/${app}`, env: Object.entries(o.env ?? {}).map(([name, value]) => ({ name, value })) }] },
  },
}, o.bare ? {} : { labels: { app, version } });

const dr = (host: string, extra: Spec = {}): KubeObject =>
  kube('DestinationRule', host.split('.')[0]!, { host, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }], ...extra });
/** A VirtualService; without `gateways` it binds to `mesh` only, as Istio does. */
const vs = (name: string, http: Spec[], gateways?: string[]): KubeObject => kube('VirtualService', name, { hosts: [name.split('-')[0]], ...(gateways ? { gateways } : {}), http });
const to = (host: string, subset?: string, weight?: number): Spec => ({ destination: { host, ...(subset ? { subset } : {}) }, ...(weight === undefined ? {} : { weight }) });

/** The same manifest with a null appended to each of its lists: what a stray `-` in hand-written YAML gives. */
const withNulls = (v: unknown): unknown =>
  Array.isArray(v) ? [...v.map(withNulls), null] : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withNulls(x)])) : v;

/** The expectations of `scenario`; stray null list items must change nothing. */
function derive<S extends ScenarioName>(scenario: S, objects: KubeObject[]): Extract<Expectations, { scenario: S }> {
  const e = deriveExpectations(scenario, objects);
  assert.deepEqual(deriveExpectations(scenario, objects.map((o) => withNulls(o) as KubeObject)), e, `${scenario}: null list items are skipped`);
  return e as Extract<Expectations, { scenario: S }>;
}

/** Deriving `scenario` throws an ExpectationError naming the overlay and each of `about` (the object and field it is about). */
function fails(scenario: ScenarioName, objects: KubeObject[], ...about: (string | RegExp)[]): void {
  assert.throws(() => deriveExpectations(scenario, objects), (err: unknown) => {
    assert.ok(err instanceof ExpectationError, `not an ExpectationError: ${String(err)}`);
    assert.equal(err.name, 'ExpectationError');
    for (const a of [`overlays/${scenario}:`, ...about]) assert.ok(typeof a === 'string' ? err.message.includes(a) : a.test(err.message), `"${err.message}" does not name ${String(a)}`);
    return true;
  });
}

test('durations: every unit, spaces, {seconds, nanos} parts, and what is not a duration', () => {
  assert.equal(durationMs('2h'), 7_200_000);
  assert.equal(durationMs('2m'), 120_000);
  assert.equal(durationMs('0.25s'), 250);
  assert.equal(durationMs(' 2s '), 2000);
  assert.equal(durationMs('40ms'), 40);
  assert.equal(durationMs({ nanos: 5e8 }), 500);
  assert.equal(durationMs({ seconds: '3' }), 3000);
  assert.equal(durationMs({ seconds: '', nanos: 1e6 }), 1);
  for (const bad of ['', '5', 5, 's', '2 s', 'x2s', '2sx', '2d', '-1s', '.5s', undefined, null, ['1s']]) assert.equal(durationMs(bad), undefined, JSON.stringify(bad));
});

test('retryOn: 5xx covers 500 and up, gateway-error only 502–504, a listed code only itself', () => {
  assert.equal(retryOnCovers('5xx', 500), true);
  assert.equal(retryOnCovers('5xx', 499), false);
  assert.equal(retryOnCovers('5xx', 404), false);
  for (const [status, covered] of [[501, false], [502, true], [504, true], [505, false]] as const) assert.equal(retryOnCovers('gateway-error', status), covered, String(status));
  assert.equal(retryOnCovers('connect-failure, 503', 503), true, 'spaces after commas');
  assert.equal(retryOnCovers('503', 502), false);
  assert.equal(retryOnCovers('retriable-status-codes', 503), false, 'the codes come from retriableStatusCodes, not the name');
});

// ── gateway vs mesh ──

const slowProducts = (): KubeObject => deploy('products', 'v1', { env: { LATENCY_MS: '3000' } });
const abort = (value: number, httpStatus: number): Spec => ({ abort: { percentage: { value }, httpStatus } });

test('a VirtualService without gateways, or with only mesh, is bound to mesh: the gateway route carries the fault, the mesh one the timeout', () => {
  const objects = [
    slowProducts(), dr('products'),
    vs('products-internal', [{ fault: abort(70, 503), route: [to('products', 'v1')] }], ['mesh']),
    vs('products-mesh', [{ fault: abort(50, 503), timeout: '0.5s', route: [to('products', 'v1')] }]),
    vs('products-edge', [{ fault: abort(10, 500), timeout: '2s', route: [to('products', 'v1')] }], [GW, 'mesh']),
  ];
  assert.deepEqual(derive('fault', objects).abort, { share: 0.1, status: 500 });
  assert.equal(derive('timeout', objects).timeoutMs, 500);
});

test("a match's own gateways override its VirtualService's; a route is bound where any of its matches is", () => {
  const objects = [
    slowProducts(), dr('products'),
    vs('products', [
      { match: [{ gateways: ['mesh'], uri: { prefix: '/' } }], fault: abort(50, 503), timeout: '0.5s', route: [to('products', 'v1')] },
      { match: [{ gateways: [GW] }, { gateways: ['mesh'], uri: { prefix: '/internal' } }], fault: abort(10, 500), timeout: '2s', route: [to('products', 'v1')] },
    ], [GW, 'mesh']),
  ];
  assert.deepEqual(derive('fault', objects).abort, { share: 0.1, status: 500 });
  assert.equal(derive('timeout', objects).timeoutMs, 500);
});

test('with no route bound where the claim is made, a route bound elsewhere still counts', () => {
  const fault = derive('fault', [vs('products', [{ fault: abort(20, 503), route: [to('products')] }], ['mesh'])]);
  assert.deepEqual(fault.abort, { share: 0.2, status: 503 });
  const retries = derive('retries', [
    deploy('payments', 'v1', { env: { ERROR_PERCENT: '50' } }),
    vs('payments', [{ retries: { attempts: 2, retryOn: '5xx' }, route: [to('payments.shop.svc.cluster.local')] }], [GW]),
  ]);
  assert.deepEqual([retries.attempts, retries.service], [2, 'payments']);
});

// ── baseline ──

test('baseline: one probe per gateway prefix, trimmed and deduplicated; mesh-only routes and routes with nothing to GET are left out', () => {
  const e = derive('baseline', [
    vs('mesh-only', [{ route: [to('storefront')] }, { match: [{ uri: { prefix: '/api/payments' } }], route: [to('payments')] }]),
    vs('internal', [{ route: [to('storefront')] }], ['mesh']),
    vs('api', [
      { match: [{ uri: { prefix: '/api/products//' } }, { uri: { exact: '/api/orders' } }], route: [to('products')] },
      { match: [{ uri: { prefix: '/api/products' } }, { uri: { prefix: '/api/auth' } }], route: [to('products')] },
      { match: [{ gateways: ['mesh'], uri: { prefix: '/api/users' } }], route: [to('users')] },
      { match: [{ uri: { prefix: '//legacy//shop.v1' } }, { uri: { regex: '/x.*' } }], route: [to('storefront')] },
    ], [GW, 'mesh']),
    vs('notifications', [{ match: [{ gateways: [GW, 'mesh'], uri: { prefix: '/api/notifications' } }], route: [to('notifications')] }]),
    vs('storefront', [{ route: [to('storefront')] }], [GW]),
  ]);
  assert.deepEqual(e.scenario, 'baseline');
  assert.deepEqual(e.routes, [
    { name: 'api-products', prefix: '/api/products', path: '/api/products/101' },
    { name: 'api-orders', prefix: '/api/orders', path: '/api/orders/5001' },
    { name: 'legacy-shop-v1', prefix: '//legacy//shop.v1', path: '//legacy//shop.v1' },
    { name: 'api-notifications', prefix: '/api/notifications', path: '/api/notifications' },
    { name: 'root', prefix: '/', path: '/' },
  ]);
});

test('baseline: no gateway route with something to GET is an error', () => {
  fails('baseline', [vs('products', [{ route: [to('products')] }])]);
  fails('baseline', [vs('auth', [{ match: [{ uri: { prefix: '/api/auth' } }], route: [to('users')] }], [GW])]);
});

// ── canary ──

test("canary: the gateway route's split counts; v2 is the canary whatever its share, else the smaller share", () => {
  const e = derive('canary', [
    vs('products-mesh', [{ route: [to('products', 'v1', 50), to('products', 'v2', 50)] }]),
    vs('products', [{ route: [to('products.shop.svc.cluster.local', 'stable', 70), to('products', 'canary', 20), to('products', 'canary', 10)] }], [GW]),
  ]);
  assert.deepEqual(e, { scenario: 'canary', service: 'products', weights: { stable: 70, canary: 30 }, version: 'canary', share: 0.3 });
  const bySmallest = derive('canary', [vs('products', [{ route: [to('products', 'canary', 25), to('products', 'stable', 75)] }], [GW])]);
  assert.equal(bySmallest.version, 'canary');
  const v2 = derive('canary', [vs('products', [{ route: [to('products', 'v1', 30), to('products', 'v2', 70)] }], [GW])]);
  assert.deepEqual([v2.version, v2.share], ['v2', 0.7]);
  const hosts = derive('canary', [vs('products', [{ route: [to('products', undefined, 80), to('products-next', undefined, 20)] }], [GW])]);
  assert.deepEqual([hosts.weights, hosts.version, hosts.share], [{ products: 80, 'products-next': 20 }, 'products-next', 0.2]);
});

test('canary: a route with one weighted destination (100/0) is no split', () => {
  fails('canary', [vs('products', [{ route: [to('products', 'v1', 100), to('products', 'v2', 0)] }], [GW])]);
});

// ── ab ──

test('ab: the header route the gateway takes wins, header names are lower-cased, and a later plain route is the default', () => {
  const e = derive('ab', [
    vs('products-mesh', [{ match: [{ headers: { 'x-mesh': { exact: 'yes' } } }], route: [to('products', 'v3')] }, { route: [to('products', 'v4')] }]),
    vs('products', [
      { match: [{ headers: { 'X-User-Group': { prefix: 'beta' } } }], route: [to('products', 'v2')] },
      { match: [{ headers: { 'x-other': { exact: 'z' } } }], route: [to('products', 'v3')] },
      { route: [to('products', 'v1')] },
    ], [GW]),
  ]);
  assert.deepEqual(e, { scenario: 'ab', service: 'products', header: 'x-user-group', value: 'beta', matchVersion: 'v2', defaultVersion: 'v1' });
});

test('ab: with no header route through the gateway the mesh ones count; regex values lose their anchors, numbers become text', () => {
  const e = derive('ab', [
    vs('products-edge', [{ match: [{ uri: { prefix: '/api/products' } }], route: [to('products', 'v1')] }, { route: [to('products', 'v1')] }], [GW]),
    vs('products', [{ match: [{ headers: { 'x-user-group': { regex: '^beta.*$' } } }], route: [to('products', 'v2')] }, { route: [to('products', 'v1')] }]),
  ]);
  assert.deepEqual([e.value, e.matchVersion, e.defaultVersion], ['beta', 'v2', 'v1']);
  const numeric = derive('ab', [vs('products', [
    { match: [{ uri: { prefix: '/' } }, { headers: { 'x-api-version': { exact: 2 } } }], route: [to('products', 'v2')] },
    { match: [{ uri: { prefix: '/api' } }], route: [to('products', 'v1')] },
    { route: [to('products', 'v3')] },
  ], [GW])]);
  assert.deepEqual([numeric.header, numeric.value, numeric.defaultVersion], ['x-api-version', '2', 'v1']);
});

test('ab: a header route with no value, no subset or no plain route after it in its own VirtualService is an error', () => {
  fails('ab', [vs('products', [{ route: [to('products', 'v1')] }], [GW])]);
  const header = { headers: { 'x-user-group': { exact: 'beta' } } };
  fails('ab', [vs('products', [{ match: [{ headers: { 'x-user-group': {} } }], route: [to('products', 'v2')] }, { route: [to('products', 'v1')] }], [GW])],
    'VirtualService shop/products', 'x-user-group');
  fails('ab', [vs('products', [{ match: [header], route: [to('products')] }, { route: [to('products', 'v1')] }], [GW])], 'VirtualService shop/products', 'subset');
  fails('ab', [vs('products', [{ match: [header], directResponse: { status: 204 } }, { route: [to('products', 'v1')] }], [GW])], 'VirtualService shop/products', 'subset');
  fails('ab', [
    vs('products-a', [{ route: [to('products', 'v1')] }, { match: [header], route: [to('products', 'v2')] }], [GW]),
    vs('products-b', [{ route: [to('products', 'v1')] }], [GW]),
  ], 'VirtualService shop/products-a');
  fails('ab', [vs('products', [{ match: [header], route: [to('products', 'v2')] }, { directResponse: { status: 204 } }], [GW])], 'VirtualService shop/products');
});

// ── fault ──

test('fault: a delay alone, with the legacy percent field; the service is the destination, or the VirtualService without one', () => {
  const e = derive('fault', [vs('products', [{ fault: { delay: { percent: 30, fixedDelay: '2s' } }, route: [to('products.shop.svc.cluster.local')] }], [GW])]);
  assert.deepEqual(e, { scenario: 'fault', service: 'products', delay: { share: 0.3, ms: 2000 } });
  const direct = derive('fault', [vs('catalog', [{ fault: { abort: { percentage: { value: 5 }, httpStatus: '503' } }, directResponse: { status: 200 } }], [GW])]);
  assert.deepEqual(direct, { scenario: 'fault', service: 'catalog', abort: { share: 0.05, status: 503 } });
});

test('fault: each missing piece is named with its VirtualService', () => {
  const faulty = (fault: Spec) => [vs('products', [{ fault, route: [to('products')] }], [GW])];
  fails('fault', faulty({ delay: { fixedDelay: '1s' } }), 'VirtualService shop/products', 'delay.percentage');
  fails('fault', faulty({ delay: { percentage: { value: 10 } } }), 'VirtualService shop/products', 'fixedDelay');
  fails('fault', faulty({ abort: { httpStatus: 503 } }), 'VirtualService shop/products', 'abort.percentage');
  fails('fault', faulty({ abort: { percentage: { value: 10 } } }), 'VirtualService shop/products', 'httpStatus');
  fails('fault', [vs('products', [{ route: [to('products')] }], [GW])]);
});

// ── timeout ──

const ordersWithTimeout = (timeout: unknown): KubeObject => vs('orders', [{ timeout, route: [to('orders')] }]);

test('timeout: partly slow pods count by their share of calls and their share of the routed pods; a delay equal to the timeout is cut', () => {
  const e = derive('timeout', [
    deploy('products', 'v1', { env: { LATENCY_MS: '3000', LATENCY_PERCENT: '50' } }),
    deploy('products', 'v1', { name: 'products-v1-quick', labels: { variant: 'quick' }, env: { LATENCY_MS: '200' } }),
    deploy('products', 'v1', { name: 'products-v1-even', labels: { variant: 'even' }, env: { LATENCY_MS: '1000' } }),
    deploy('products', 'v1', { name: 'products-v1-fast', labels: { variant: 'fast' } }),
    dr('products'),
    vs('products', [{ timeout: '1s', route: [to('products', 'v1')] }]),
  ]);
  assert.deepEqual(e, { scenario: 'timeout', routeService: 'products', timeoutMs: 1000, slowService: 'products', latencyMs: 3000, latencyShare: 0.5, timeoutShare: 0.375 });
});

test("timeout: a timeout on orders' route counts the mesh route to the slow service, weight by weight; a subset with no pods adds nothing", () => {
  const e = derive('timeout', [
    deploy('orders', 'v1', { env: { LATENCY_MS: '5' } }), deploy('products', 'v1', { env: { LATENCY_MS: '3000' } }), dr('products'),
    vs('products', [{ route: [to('products', 'v1', 80), to('products', 'v2', 20)] }]),
    vs('orders-off', [{ timeout: '0s', route: [to('orders')] }]),
    ordersWithTimeout('1s'),
    vs('products-edge', [{ route: [to('products', 'v2')] }], [GW]),
  ]);
  assert.deepEqual([e.routeService, e.timeoutMs, e.slowService, e.latencyMs, e.timeoutShare], ['orders', 1000, 'orders', 5, 0]);
  const slowFirst = derive('timeout', [
    deploy('orders', 'v2'), deploy('products', 'v1', { env: { LATENCY_MS: '3000' } }), deploy('orders', 'v1', { env: { LATENCY_MS: '5' } }), dr('products'),
    vs('products', [{ route: [to('products', 'v1', 80), to('products', 'v2', 20)] }]),
    ordersWithTimeout('1s'),
  ]);
  assert.deepEqual([slowFirst.routeService, slowFirst.slowService, slowFirst.timeoutShare], ['orders', 'products', 0.8]);
});

test('timeout: the route that carries the timeout counts when it reaches the slow service, even beside another host; a delegate names its VirtualService', () => {
  const e = derive('timeout', [
    slowProducts(), dr('products'),
    vs('products-plain', [{ route: [to('products', 'v2')] }]),
    vs('products', [{ timeout: '1s', route: [to('products', 'v1', 50), to('products-next', undefined, 50)] }]),
  ]);
  assert.deepEqual([e.routeService, e.timeoutShare], ['products', 0.5]);
  const delegated = derive('timeout', [slowProducts(), vs('shop', [{ timeout: '1s', delegate: { name: 'products', namespace: 'shop' } }])]);
  assert.deepEqual([delegated.routeService, delegated.timeoutShare], ['shop', 1]);
});

test('timeout: with no route to the slow service, its share of all the pods counts, when at least as slow as the timeout', () => {
  const objects = (latency: string) => [
    deploy('orders', 'v1'),
    deploy('products', 'v12', { name: 'products-v12', replicas: 2, env: { LATENCY_MS: latency, LATENCY_PERCENT: '50' }, bare: true }),
    deploy('products', 'v2', { replicas: 2 }),
    ordersWithTimeout('1s'),
  ];
  const slow = derive('timeout', objects('3000'));
  assert.deepEqual([slow.slowService, slow.latencyMs, slow.timeoutShare], ['products', 3000, 0.25]);
  assert.equal(derive('timeout', objects('1000')).timeoutShare, 0.25);
  assert.equal(derive('timeout', objects('800')).timeoutShare, 0);
});

test('timeout: what is missing is named', () => {
  fails('timeout', [slowProducts(), ordersWithTimeout('soon')], 'VirtualService shop/orders', 'soon');
  fails('timeout', [deploy('products', 'v1', { env: { LATENCY_MS: '0' } }), ordersWithTimeout('1s')], 'LATENCY_MS');
  fails('timeout', [slowProducts(), vs('orders', [{ route: [to('orders')] }])]);
  fails('timeout', [slowProducts(), ordersWithTimeout('0s')]);
});

// ── retries ──

test("retries: the mesh route with attempts counts; Istio's default retryOn does not retry a 503 by itself", () => {
  const e = derive('retries', [
    deploy('payments', 'v1'),
    deploy('payments', 'v2', { env: { ERROR_PERCENT: '30' } }),
    vs('payments-edge', [{ retries: { attempts: 5, retryOn: '5xx' }, route: [to('payments')] }], [GW]),
    vs('payments-none', [{ retries: { attempts: 0 }, route: [to('payments')] }]),
    vs('payments', [{ retries: { attempts: 2 }, route: [to('payments')] }]),
  ]);
  assert.deepEqual(e, {
    scenario: 'retries', service: 'payments', attempts: 2, retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
    errorShare: 0.3, errorStatus: 503, retried: false, successShare: 0.7,
  });
});

test('retries: the error status the service returns decides whether retryOn retries it; a delegate names its VirtualService', () => {
  const withStatus = (status: string) => derive('retries', [
    deploy('payments', 'v1', { env: { ERROR_PERCENT: '20', ERROR_STATUS: status } }),
    vs('payments', [{ retries: { attempts: 2, retryOn: 'gateway-error', perTryTimeout: '300ms' }, delegate: { name: 'payments-routes' } }]),
  ]);
  const at502 = withStatus('502');
  assert.deepEqual([at502.service, at502.errorStatus, at502.retried, Number(at502.successShare.toFixed(9)), at502.perTryTimeoutMs], ['payments', 502, true, 0.992, 300]);
  const at500 = withStatus('500');
  assert.deepEqual([at500.retried, at500.successShare], [false, 0.8]);
});

test('retries: no route with attempts, or no service that fails, is an error', () => {
  fails('retries', [deploy('payments', 'v1', { env: { ERROR_PERCENT: '30' } }), vs('payments', [{ retries: { attempts: 0 }, route: [to('payments')] }])]);
  fails('retries', [deploy('payments', 'v1', { env: { ERROR_PERCENT: '0' } }), vs('payments', [{ retries: { attempts: 2 }, route: [to('payments')] }])], 'payments', 'ERROR_PERCENT');
});

// ── breaker ──

const UNLIMITED = 2 ** 32 - 1;

test("breaker: Istio's defaults fill what the DestinationRule leaves out or blank, and every pod of the app counts without a route", () => {
  const e = derive('breaker', [
    deploy('products', 'v1', { replicas: 2 }), deploy('products', 'v2', { env: { ALWAYS_FAIL: 'true' } }), deploy('orders', 'v1', { replicas: 4, env: { ALWAYS_FAIL: 'true' } }),
    dr('products.shop.svc.cluster.local', {
      trafficPolicy: { connectionPool: { tcp: { maxConnections: null }, http: { http1MaxPendingRequests: '' } }, outlierDetection: { consecutive5xxErrors: ' ', consecutiveErrors: 2, maxEjectionPercent: null } },
    }),
  ]);
  assert.deepEqual(e, {
    scenario: 'breaker', service: 'products',
    pool: { maxConnections: UNLIMITED, http1MaxPendingRequests: UNLIMITED, maxRequestsPerConnection: 0 },
    outlier: { consecutive5xxErrors: 2, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10 },
    replicas: 3, failingReplicas: 1, overflowConcurrency: 64,
  });
});

test('breaker: set values are read, consecutive5xxErrors over the legacy field, and overflow starts past connections + pending', () => {
  const e = derive('breaker', [
    deploy('products', 'v1'),
    dr('products', { trafficPolicy: { outlierDetection: { consecutive5xxErrors: 4 } } }),
    kube('DestinationRule', 'products', {
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 3 }, http: { http1MaxPendingRequests: '4', maxRequestsPerConnection: 2 } },
        outlierDetection: { consecutive5xxErrors: 4, consecutiveErrors: 9, interval: '5s', baseEjectionTime: '1m', maxEjectionPercent: 50 },
      },
    }),
  ]);
  assert.deepEqual([e.service, e.pool, e.outlier, e.overflowConcurrency], [
    'products',
    { maxConnections: 3, http1MaxPendingRequests: 4, maxRequestsPerConnection: 2 },
    { consecutive5xxErrors: 4, intervalMs: 5000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50 },
    8,
  ]);
});

test("breaker: with a gateway route, only the routed subsets' pods count, the always-failing ones among them", () => {
  const e = derive('breaker', [
    deploy('products', 'v1', { replicas: 2 }), deploy('products', 'v1', { name: 'products-v1-fail', labels: { variant: 'fail' }, env: { ALWAYS_FAIL: 'true' } }),
    deploy('products', 'v2', { replicas: 5, env: { ALWAYS_FAIL: 'true' } }),
    dr('products', { trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } }, outlierDetection: {} } }),
    vs('products', [{ route: [to('products', 'v1')] }], [GW]),
  ]);
  assert.deepEqual([e.replicas, e.failingReplicas], [3, 1]);
});

test('breaker: no connection pool, or no outlier detection beside it, is an error naming the DestinationRule', () => {
  fails('breaker', [deploy('products', 'v1'), dr('products')], 'connectionPool');
  fails('breaker', [deploy('products', 'v1'), dr('products', { trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } } })], 'DestinationRule shop/products', 'outlierDetection');
});

// ── mirror ──

test('mirror: mirrorPercentage, the legacy mirrorPercent, or all traffic; the heaviest destination is the routed version', () => {
  const mirrored = (extra: Spec, route = [to('products', 'v1', 10), to('products', 'v3', 90)]) =>
    derive('mirror', [vs('products', [{ route, mirror: { host: 'products.shop.svc.cluster.local', subset: 'v2' }, ...extra }], [GW])]);
  assert.deepEqual(mirrored({ mirrorPercentage: { value: 50 } }), { scenario: 'mirror', service: 'products', routeVersion: 'v3', mirrorVersion: 'v2', mirrorShare: 0.5 });
  assert.equal(mirrored({ mirrorPercent: 20 }).mirrorShare, 0.2);
  assert.equal(mirrored({}).mirrorShare, 1);
  assert.equal(mirrored({}, [to('products', 'v1', 60), to('products', 'v3', 40)]).routeVersion, 'v1');
  assert.equal(mirrored({}, [to('products', 'v1'), to('products', 'v3', 40)]).routeVersion, 'v1', 'no weight counts as all of it');
});

test('mirror: the gateway route wins; the first mirror of the list counts; the service comes from the mirror host, or the VirtualService without one', () => {
  const e = derive('mirror', [
    vs('products-mesh', [{ route: [to('products', 'v1')], mirror: { host: 'products', subset: 'v9' } }]),
    vs('catalog', [{ route: [to('products', 'v1')], mirrors: [null, { destination: { subset: 'v2' } }, { destination: { subset: 'v5' } }] }], [GW]),
  ]);
  assert.deepEqual(e, { scenario: 'mirror', service: 'catalog', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 1 });
});

test('mirror: a missing mirror, or a subset missing on either side, is an error', () => {
  fails('mirror', [vs('products', [{ route: [to('products', 'v1')], mirrors: [] }], [GW])]);
  fails('mirror', [vs('products', [{ route: [to('products', 'v1')], mirror: { host: 'products' } }], [GW])], 'VirtualService shop/products', 'subset');
  fails('mirror', [vs('products', [{ route: [to('products')], mirror: { host: 'products', subset: 'v2' } }], [GW])], 'VirtualService shop/products', 'subset');
  fails('mirror', [vs('products', [{ directResponse: { status: 200 }, mirror: { host: 'products', subset: 'v2' } }], [GW])], 'VirtualService shop/products', 'subset');
});

// ── mtls ──

const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => kube('Namespace', name, undefined, { namespace: undefined, labels });

test("mtls: the shop's namespace-wide PeerAuthentication wins over the mesh-wide and workload ones; the legacy namespace has no sidecars", () => {
  const e = derive('mtls', [
    kube('PeerAuthentication', 'default', { mtls: { mode: 'STRICT' } }, { namespace: 'istio-system' }),
    kube('PeerAuthentication', 'payments', { selector: { matchLabels: { app: 'payments' } }, mtls: { mode: 'STRICT' } }),
    kube('PeerAuthentication', 'shop', {}),
    namespace('shop', { 'istio-injection': 'enabled' }), namespace('istio-ingress'), namespace('revved', { 'istio.io/rev': 'stable' }),
    namespace('injected', { 'istio-injection': 'enabled' }), namespace('legacy', { 'istio-injection': 'disabled' }),
  ]);
  assert.deepEqual(e, { scenario: 'mtls', mode: 'PERMISSIVE', meshNamespace: 'shop', legacyNamespace: 'legacy', service: 'products', legacyShare: 1 });
});

test('mtls: a mesh-wide PeerAuthentication alone counts, in its own namespace', () => {
  const e = derive('mtls', [kube('PeerAuthentication', 'default', { mtls: { mode: 'STRICT' } }, { namespace: 'istio-system' }), namespace('legacy')]);
  assert.deepEqual([e.mode, e.meshNamespace, e.legacyShare], ['STRICT', 'istio-system', 0]);
  const unnamespaced = derive('mtls', [kube('PeerAuthentication', 'default', { mtls: { mode: 'STRICT' } }, { namespace: undefined }), namespace('legacy')]);
  assert.equal(unnamespaced.meshNamespace, 'shop');
});

test('mtls: no PeerAuthentication, or no namespace without injection, is an error', () => {
  fails('mtls', [namespace('legacy')], 'PeerAuthentication');
  fails('mtls', [kube('PeerAuthentication', 'default', {}), namespace('shop'), namespace('istio-ingress')], 'namespace');
});

// ── jwt ──

const requestAuthn = (rule: Spec = { issuer: 'shop', jwksUri: 'http://users:8080/jwks' }): KubeObject => kube('RequestAuthentication', 'jwt', { jwtRules: [rule] });

test('jwt: only rules on request principals protect paths; the orders path is probed when protected', () => {
  const e = derive('jwt', [
    requestAuthn(),
    kube('AuthorizationPolicy', 'principals', { rules: [{ from: [{ source: { principals: ['*'] } }], to: [{ operation: { paths: ['/api/payments*'] } }] }] }),
    kube('AuthorizationPolicy', 'products', { rules: [{ from: [{ source: { principals: ['*'] } }, { source: { requestPrincipals: ['*'] } }], to: [{ operation: { paths: ['/api/products*'] } }] }] }),
    kube('AuthorizationPolicy', 'orders', { action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { paths: ['/api/orders/*'] } }] }] }),
  ]);
  assert.deepEqual(e, { scenario: 'jwt', issuer: 'shop', jwksUri: 'http://users:8080/jwks', protectedPaths: ['/api/products*', '/api/orders/*'], path: '/api/orders/5001' });
  const products = derive('jwt', [requestAuthn(), kube('AuthorizationPolicy', 'p', { rules: [{ from: [{ source: { requestPrincipals: ['*'] } }], to: [{ operation: { paths: ['/api/products*'] } }] }] })]);
  assert.equal(products.path, '/api/products/101');
});

test('jwt: a missing issuer, JWKS URI, RequestAuthentication or protected path is an error', () => {
  const policy = kube('AuthorizationPolicy', 'p', { rules: [{ from: [{ source: { requestPrincipals: ['*'] } }], to: [{ operation: { paths: ['/api/orders*'] } }] }] });
  fails('jwt', [requestAuthn({ jwksUri: 'http://users:8080/jwks' }), policy], 'RequestAuthentication shop/jwt', 'issuer');
  fails('jwt', [requestAuthn({ issuer: 'shop' }), policy], 'RequestAuthentication shop/jwt', 'jwksUri');
  fails('jwt', [policy], 'RequestAuthentication');
  fails('jwt', [requestAuthn()], 'AuthorizationPolicy');
});

// ── authz ──

const shopApps = (...names: string[]): KubeObject[] => names.flatMap((n) => [kube('Service', n, { selector: { app: n } }), kube('ServiceAccount', n)]);
const policy = (name: string, app: string | undefined, rules: Spec[], action?: string, namespace = 'shop'): KubeObject =>
  kube('AuthorizationPolicy', name, { ...(app ? { selector: { matchLabels: { app } } } : {}), ...(action ? { action } : {}), rules }, { namespace });
const principal = (sa: string, ns = 'shop'): string => `cluster.local/ns/${ns}/sa/${sa}`;
const allowedEdges = (e: Extract<Expectations, { scenario: 'authz' }>): string[] => e.edges.filter((x) => x.allowed).map((x) => `${x.from}->${x.to}`).sort();

test('authz: a rule allows when any of its sources and any of its operations match; wildcard principals, namespaces and ports as Istio reads them', () => {
  const e = derive('authz', [
    ...shopApps('storefront', 'orders', 'payments'),
    kube('Service', 'notifications'), kube('ServiceAccount', 'notifications', {}, { namespace: undefined }),
    kube('Service', 'users'), kube('ServiceAccount', 'users', {}, { namespace: 'other' }),
    kube('Service', 'metrics'), kube('ServiceAccount', 'legacy-client'), kube('Service', 'products', {}, { namespace: 'other' }),
    policy('payments', 'payments', [{
      from: [{ source: { principals: [principal('x', 'other'), principal('storefront2')] } }, { source: { principals: ['*/sa/orders'] } }],
      to: [{ operation: { paths: ['/payments'], methods: ['GET', 'POST'] } }],
    }]),
    policy('notifications', 'notifications', [{
      from: [{ source: { principals: ['cluster.local/ns/shop/sa/ord*'] } }],
      to: [{ operation: { methods: ['POST'] } }, { operation: { methods: ['GET'], ports: ['9090'] } }, { operation: { paths: ['/admin', '/notif*'], ports: [8080] } }],
    }, {
      from: [{ source: { principals: [principal('storefront')] } }], to: [{ operation: { methods: ['POST'] } }, { operation: { methods: ['GET'], ports: ['9090'] } }],
    }]),
    policy('orders', 'orders', [
      { from: [{ source: { namespaces: ['istio-ingress'] } }] },
      { from: [{ source: { namespaces: ['shop'], principals: [principal('users'), principal('storefront')] } }] },
      { from: [{ source: { namespaces: ['other'], principals: [principal('notifications')] } }] },
    ]),
    policy('storefront', undefined, [{ from: [{ source: { principals: [principal('payments')] } }] }, { to: [{ operation: { paths: ['/admin'] } }] }], 'DENY'),
    policy('users', 'users', [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }, { from: [{ source: {} }], to: [{ operation: { paths: ['/admin*'] } }] }]),
    policy('elsewhere', undefined, [{ from: [{ source: { principals: ['*'] } }] }], 'DENY', 'other'),
  ]);
  assert.deepEqual([e.scenario, e.namespace, e.sources], ['authz', 'shop', ['storefront', 'orders', 'payments', 'notifications']]);
  assert.equal(e.edges.length, 4 * 4, 'each source to every other shop service with a probe');
  assert.deepEqual(allowedEdges(e), ['notifications->storefront', 'orders->notifications', 'orders->payments', 'orders->storefront', 'storefront->orders']);
  assert.deepEqual(e.edges.find((x) => x.from === 'orders' && x.to === 'payments'), { from: 'orders', to: 'payments', allowed: true, path: '/payments?order=5001' });
});

test("authz: DENY wins over ALLOW, empty sources and lists match anyone, and a policy without a namespace is the shop's", () => {
  const e = derive('authz', [
    ...shopApps('storefront', 'orders', 'payments'),
    policy('storefront', 'storefront', [{ from: [{ source: {} }], to: [{ operation: { methods: [] } }] }], 'ALLOW'),
    policy('orders', 'orders', [{ from: [{ source: { principals: ['*'], namespaces: [] } }], to: [{ operation: { paths: ['/*'] } }] }]),
    policy('payments', 'payments', [{ from: [{ source: { principals: ['*'] } }] }]),
    kube('AuthorizationPolicy', 'no-payments', { selector: { matchLabels: { app: 'payments' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/payments'] } }] }] }, { namespace: undefined }),
    policy('audit', 'orders', [{}], 'AUDIT'),
  ]);
  assert.deepEqual(allowedEdges(e), ['orders->storefront', 'payments->orders', 'payments->storefront', 'storefront->orders']);
});

test('authz: the gateway is judged as a caller from istio-ingress, under the principal the policies give it', () => {
  const objects = [
    ...shopApps('storefront', 'orders', 'payments'),
    policy('allow-nothing', undefined, []),
    policy('storefront', 'storefront', [{ from: [{ source: { principals: [principal('shop-gateway', 'istio-ingress')] } }] }]),
    policy('orders', 'orders', [{ from: [{ source: { namespaces: ['istio-ingress'] } }, { source: { principals: [principal('storefront')] } }] }]),
    policy('payments', 'payments', [{ from: [{ source: { principals: [principal('orders')] } }] }]),
  ];
  const e = derive('authz', objects);
  assert.deepEqual(allowedEdges(e), ['orders->payments', 'storefront->orders']);
  assert.deepEqual(e.gatewayDenied, { service: 'payments', path: '/api/payments?order=5001' });
  const open = derive('authz', [...objects, policy('payments-edge', 'payments', [{ from: [{ source: { principals: [principal('shop-gateway', 'istio-ingress')] } }] }])]);
  assert.equal('gatewayDenied' in open, false, 'the gateway may call every service');
  // With no gateway principal in the policies, the default gateway identity (in istio-ingress) is the one judged.
  const byDefault = derive('authz', [
    ...shopApps('storefront', 'orders'),
    policy('storefront', 'storefront', [{ from: [{ source: { principals: [principal('orders')] } }] }]),
    policy('orders', 'orders', [{ from: [{ source: { namespaces: ['istio-ingress'] } }] }]),
  ]);
  assert.equal(byDefault.gatewayDenied, undefined);
});

test('authz: no shop policy, or policies that allow every edge or none, are errors', () => {
  fails('authz', [...shopApps('orders', 'payments'), policy('elsewhere', undefined, [], undefined, 'other')], 'AuthorizationPolicy');
  fails('authz', [...shopApps('orders', 'payments'), policy('open', undefined, [{}])], /no denied/);
  fails('authz', [...shopApps('orders', 'payments'), policy('allow-nothing', undefined, [])], /no allowed/);
});

// ── tls ──

const gateway = (name: string, servers: Spec[], namespace: string | undefined = 'istio-ingress'): KubeObject => kube('Gateway', name, { servers }, { namespace });
const https = (credentialName?: string, hosts = ['istio-ingress/shop.example']): Spec => ({ port: { number: 443, protocol: 'HTTPS' }, hosts, tls: { mode: 'SIMPLE', ...(credentialName ? { credentialName } : {}) } });
const certificate = (name: string, secretName: string, namespace?: string): KubeObject => kube('Certificate', name, { secretName }, { namespace });

test('tls: the Gateway serving HTTPS, its host without the namespace, its redirect, and the Certificate writing its secret in its namespace', () => {
  const e = derive('tls', [
    gateway('plain', [{ port: { number: 80, protocol: 'HTTP' }, hosts: ['*'] }]),
    gateway('shop', [{ port: { number: 80, protocol: 'HTTP' }, hosts: ['*'], tls: { httpsRedirect: true } }, https('shop-cert')]),
    certificate('elsewhere', 'shop-cert', 'shop'), certificate('other', 'other-cert', 'istio-ingress'), certificate('right', 'shop-cert', 'istio-ingress'),
  ]);
  assert.deepEqual(e, { scenario: 'tls', host: 'shop.example', secretName: 'shop-cert', gatewayNamespace: 'istio-ingress', httpsRedirect: true, certificate: 'right' });
});

test('tls: without a namespace the gateway is in istio-ingress; a redirect only counts on the HTTP server; no Certificate is read as such', () => {
  const unnamespaced = (servers: Spec[]): KubeObject => kube('Gateway', 'shop', { servers }, { namespace: undefined });
  const redirectOnHttps = { ...https('shop-cert', ['shop.localhost']), tls: { credentialName: 'shop-cert', httpsRedirect: true } };
  const e = derive('tls', [unnamespaced([{ port: { number: 80, protocol: 'HTTP' } }, redirectOnHttps]), certificate('in-gateway-ns', 'shop-cert')]);
  assert.deepEqual(e, { scenario: 'tls', host: 'shop.localhost', secretName: 'shop-cert', gatewayNamespace: 'istio-ingress', httpsRedirect: false, certificate: 'in-gateway-ns' });
  assert.equal('certificate' in derive('tls', [gateway('shop', [https('shop-cert')])]), false);
  fails('tls', [unnamespaced([https()])], 'Gateway shop:', 'credentialName');
});

test('tls: an HTTPS server without a credential or hosts, or no HTTPS server, is an error', () => {
  fails('tls', [gateway('shop', [https()])], 'Gateway istio-ingress/shop', 'credentialName');
  fails('tls', [gateway('shop', [{ ...https('shop-cert'), hosts: [] }])], 'Gateway istio-ingress/shop', 'hosts');
  fails('tls', [gateway('shop', [{ port: { number: 80, protocol: 'HTTP' } }])], 'HTTPS');
});

// ── ratelimit ──

const envoyFilter = (bucket: Spec, labels?: Record<string, string>): KubeObject => kube('EnvoyFilter', 'ratelimit', {
  ...(labels ? { workloadSelector: { labels } } : {}),
  configPatches: [
    { applyTo: 'CLUSTER', patch: { operation: 'MERGE', value: { connect_timeout: '1s' } } },
    { applyTo: 'HTTP_FILTER', patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.local_ratelimit', typed_config: { value: { stat_prefix: 'rl', ...bucket } } } } },
  ],
});

test('ratelimit: one bucket per selected pod among those the gateway route reaches; the camelCase bucket and {seconds} intervals too', () => {
  const objects = [
    deploy('products', 'v1', { replicas: 2 }), deploy('products', 'v2', { replicas: 3 }), deploy('products', 'v3', { replicas: 4 }), dr('products'),
    vs('products', [{ route: [to('products', 'v1', 50), to('products', 'v2', 50)] }], [GW]),
  ];
  const e = derive('ratelimit', [...objects, envoyFilter({ tokenBucket: { maxTokens: 5, tokensPerFill: 3, fillInterval: { seconds: 2 } } }, { app: 'products', version: 'v2' })]);
  assert.deepEqual(e, { scenario: 'ratelimit', service: 'products', maxTokens: 5, tokensPerFill: 3, fillIntervalMs: 2000, instances: 3, limitPerSecond: 4.5 });
  const allRouted = derive('ratelimit', [...objects, envoyFilter({ token_bucket: { max_tokens: 10, fill_interval: '0.5s' } }, { app: 'products' })]);
  assert.deepEqual([allRouted.tokensPerFill, allRouted.instances, allRouted.limitPerSecond], [1, 5, 10]);
});

test('ratelimit: without a route every pod of the app counts; without an app selector, one gateway-wide bucket', () => {
  const pods = [deploy('products', 'v1', { replicas: 2 }), deploy('products', 'v2', { replicas: 3 })];
  const e = derive('ratelimit', [...pods, envoyFilter({ token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '1s' } }, { app: 'products' })]);
  assert.deepEqual([e.instances, e.limitPerSecond], [5, 50]);
  const gatewayWide = derive('ratelimit', [...pods, envoyFilter({ token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '1s' } })]);
  assert.deepEqual([gatewayWide.service, gatewayWide.instances, gatewayWide.limitPerSecond], ['products', 1, 10]);
});

test('ratelimit: a bucket without max_tokens or fill_interval, or no bucket at all, is an error; a self-referencing manifest ends the search', () => {
  fails('ratelimit', [envoyFilter({ token_bucket: { fill_interval: '1s' } })], 'EnvoyFilter shop/ratelimit', 'max_tokens');
  fails('ratelimit', [envoyFilter({ token_bucket: { max_tokens: 10 } })], 'EnvoyFilter shop/ratelimit', 'fill_interval');
  fails('ratelimit', [deploy('products', 'v1'), envoyFilter({})]);
  // YAML anchors can make a node contain itself.
  const loop: Spec = { name: 'loop' };
  loop.self = [loop];
  fails('ratelimit', [kube('EnvoyFilter', 'loop', loop)]);
});

// ── lb and which pods a destination reaches ──

test("lb: a subset's hash header counts; the routed subset's pods match all of the subset's labels, in the DestinationRule for that host", () => {
  const e = derive('lb', [
    deploy('products', 'v1', { name: 'products-stable', replicas: 2, labels: { track: 'stable' } }),
    deploy('products', 'v1', { name: 'products-canary', replicas: 1, labels: { track: 'canary' } }),
    deploy('products', 'v2', { replicas: 4 }),
    kube('DestinationRule', 'orders', { host: 'orders', subsets: [{ name: 'stable', labels: { version: 'nothing' } }] }),
    dr('products.shop.svc.cluster.local', { trafficPolicy: {} }),
    kube('DestinationRule', 'products-hash', {
      host: 'products',
      subsets: [{ name: 'stable', labels: { version: 'v1', track: 'stable' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'X-User-Id' } } } }],
    }),
    vs('products', [{ route: [to('products', 'stable', 100), to('products', 'v2', 0)] }], [GW]),
  ]);
  assert.deepEqual(e, { scenario: 'lb', service: 'products', hashHeader: 'x-user-id', replicas: 2, users: 20 });
});

test('lb: without a route every pod of the app counts, and a subset no DestinationRule defines reaches them all', () => {
  const pods = [
    deploy('products', 'v1', { replicas: 2 }), deploy('products', 'v2', { replicas: 3 }), deploy('orders', 'v1', { replicas: 7 }),
    kube('Deployment', 'products-legacy', { replicas: 1, template: { metadata: { labels: { version: 'legacy' } } } }, { labels: { app: 'products' } }),
  ];
  const hash = dr('products', { trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user-id' } } } });
  assert.equal(derive('lb', [...pods, hash]).replicas, 6);
  assert.equal(derive('lb', [...pods, hash, vs('products', [{ route: [to('products', 'v7')] }], [GW])]).replicas, 6);
  assert.equal(derive('lb', [...pods, hash, vs('products', [{ route: [to('products', 'v1', 90), to('products-next', undefined, 10)] }], [GW])]).replicas, 2);
  fails('lb', [...pods, dr('products')]);
});

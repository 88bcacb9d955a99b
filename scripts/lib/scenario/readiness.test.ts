// Each scenario's readiness probe: what it sends, that a baseline-like answer keeps it waiting, that
// the scenario's answer ends the wait, and that a timeout names what was never seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { SCENARIO_NAMES } from '../../../loadtests/lib/expectations.ts';
import type { Probe } from './cluster.ts';
import { readinessPlan, waitUntilReady, type Answer, type ReadinessIO } from './readiness.ts';

const v = (version: string, pod = `products-${version}-a`): Answer => ({ status: 200, headers: { 'x-service': 'products', 'x-service-version': version, 'x-pod': pod }, body: '{}' });

const EXPECT: Record<ScenarioName, Expectations> = {
  baseline: { scenario: 'baseline', routes: [{ name: 'storefront', prefix: '/', path: '/' }] },
  canary: { scenario: 'canary', service: 'products', weights: { v1: 90, v2: 10 }, version: 'v2', share: 0.1 },
  ab: { scenario: 'ab', service: 'products', header: 'x-user-group', value: 'beta', matchVersion: 'v2', defaultVersion: 'v1' },
  fault: { scenario: 'fault', service: 'products', abort: { share: 0.1, status: 500 }, delay: { share: 0.2, ms: 1000 } },
  timeout: { scenario: 'timeout', routeService: 'products', timeoutMs: 500, slowService: 'products', latencyMs: 3000, latencyShare: 1, timeoutShare: 1 },
  retries: { scenario: 'retries', service: 'payments', attempts: 5, retryOn: '5xx', errorShare: 0.3, errorStatus: 503, retried: true, successShare: 0.999 },
  breaker: {
    scenario: 'breaker', service: 'products', pool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
    outlier: { consecutive5xxErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 50 }, replicas: 4, failingReplicas: 1, overflowConcurrency: 3,
  },
  mirror: { scenario: 'mirror', service: 'products', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 1 },
  mtls: { scenario: 'mtls', mode: 'STRICT', meshNamespace: 'shop', legacyNamespace: 'legacy', service: 'products', legacyShare: 0 },
  jwt: { scenario: 'jwt', issuer: 'shopmesh-users', jwksUri: 'http://users.shop/jwks', protectedPaths: ['/api/orders/*'], path: '/api/orders/5001' },
  authz: { scenario: 'authz', namespace: 'shop', sources: ['orders'], edges: [], gatewayDenied: { service: 'payments', path: '/api/payments?order=5001' } },
  tls: { scenario: 'tls', host: 'shop.localhost', secretName: 'shop-localhost-tls', gatewayNamespace: 'istio-ingress', httpsRedirect: true, certificate: 'shop-localhost' },
  ratelimit: { scenario: 'ratelimit', service: 'products', maxTokens: 10, tokensPerFill: 1, fillIntervalMs: 100, instances: 1, limitPerSecond: 10 },
  lb: { scenario: 'lb', service: 'products', hashHeader: 'x-user-id', replicas: 3, users: 20 },
};

/** A fake mesh: answers per call, and a request counter that moves by `counterStep` per gateway call. */
function fakeMesh(answer: (p: Probe, i: number) => Answer, opts: { counterStep?: number; pod?: Answer } = {}) {
  const sent: Probe[] = [];
  let counter = 0;
  const io: ReadinessIO = {
    send: async (p) => {
      sent.push(p);
      counter += opts.counterStep ?? 0;
      return answer(p, sent.length - 1);
    },
    podGet: async () => opts.pod ?? { status: 200, headers: {}, body: '{}' },
    counter: async () => counter,
  };
  return { io, sent };
}

const user = (p: Probe): number => Number((p.headers?.['x-user-id'] ?? 'user-0').slice(5));
const pods = ['products-v1-a', 'products-v1-b', 'products-v1-c'];

/** Per scenario: what the baseline answers, and what the scenario's config answers. */
const MESHES: Record<ScenarioName, { plan: RegExp; baseline: () => ReturnType<typeof fakeMesh>; scenario: () => ReturnType<typeof fakeMesh> }> = {
  baseline: { plan: /storefront answering 2xx/, baseline: () => fakeMesh(() => ({ status: 503, headers: {}, body: 'no healthy upstream' })), scenario: () => fakeMesh(() => v('v1')) },
  canary: { plan: /a v2 answer/, baseline: () => fakeMesh(() => v('v1')), scenario: () => fakeMesh((_, i) => v(i === 7 ? 'v2' : 'v1')) },
  ab: { plan: /x-user-group: beta reaching v2/, baseline: () => fakeMesh(() => v('v1')), scenario: () => fakeMesh((p) => v(p.headers?.['x-user-group'] === 'beta' ? 'v2' : 'v1')) },
  fault: { plan: /fault filter abort" 500/, baseline: () => fakeMesh(() => v('v1')), scenario: () => fakeMesh((_, i) => (i === 3 ? { status: 500, headers: {}, body: 'fault filter abort' } : v('v1'))) },
  timeout: { plan: /504 within the 500 ms/, baseline: () => fakeMesh(() => ({ status: 200, headers: {}, body: '{}' })), scenario: () => fakeMesh(() => ({ status: 504, headers: {}, body: 'upstream request timeout' })) },
  retries: {
    plan: /payments counting more requests than the gateway sent/,
    baseline: () => fakeMesh(() => ({ status: 200, headers: {}, body: '[]' }), { counterStep: 1 }),
    scenario: () => fakeMesh(() => ({ status: 200, headers: {}, body: '[]' }), { counterStep: 1.4 }),
  },
  breaker: {
    plan: /503 with x-envoy-overloaded in a burst of 12 concurrent/,
    baseline: () => fakeMesh(() => v('v1')),
    scenario: () => fakeMesh((_, i) => (i % 2 ? { status: 503, headers: { 'x-envoy-overloaded': 'true' }, body: 'upstream connect error' } : v('v1'))),
  },
  mirror: { plan: /v2's request counter moving while clients see v1/, baseline: () => fakeMesh(() => v('v1')), scenario: () => fakeMesh(() => v('v1'), { counterStep: 1 }) },
  mtls: { plan: /plaintext call into a products pod refused under STRICT/, baseline: () => fakeMesh(() => v('v1')), scenario: () => fakeMesh(() => v('v1'), { pod: { status: 503, headers: {}, body: 'read: connection reset by peer' } }) },
  jwt: { plan: /403 "RBAC: access denied" on \/api\/orders\/5001 without a token/, baseline: () => fakeMesh(() => ({ status: 401, headers: {}, body: 'missing token' })), scenario: () => fakeMesh(() => ({ status: 403, headers: {}, body: 'RBAC: access denied' })) },
  authz: { plan: /gateway denied on \/api\/payments\?order=5001/, baseline: () => fakeMesh(() => ({ status: 200, headers: {}, body: '[]' })), scenario: () => fakeMesh(() => ({ status: 403, headers: {}, body: 'RBAC: access denied' })) },
  tls: { plan: /https:\/\/shop\.localhost:8443\/ answering 2xx with the certificate verified/, baseline: () => fakeMesh(() => ({ status: 0, headers: {}, errorCode: 1212 })), scenario: () => fakeMesh(() => v('v1')) },
  ratelimit: { plan: /a 429 in a burst of 30 concurrent calls/, baseline: () => fakeMesh(() => v('v1')), scenario: () => fakeMesh((_, i) => (i > 10 ? { status: 429, headers: {}, body: 'local_rate_limited' } : v('v1'))) },
  lb: {
    plan: /each of 20 users answered twice by the same pod/,
    // Round robin: the same user meets another pod on its second call.
    baseline: () => fakeMesh((_, i) => v('v1', pods[i % 3])),
    scenario: () => fakeMesh((p) => v('v1', pods[user(p) % 3])),
  },
};

for (const name of SCENARIO_NAMES) {
  test(`readiness for ${name}: a baseline answer keeps it waiting, the scenario's answer ends the wait`, async () => {
    const e = EXPECT[name];
    const plan = readinessPlan(e, { ca: 'PEM' });
    assert.match(plan.what, MESHES[name].plan);
    assert.ok(plan.calls.length >= 1);
    const clock = { t: 0 };
    // Milliseconds on a fake clock: a wait that ignored the fake sleep would still end quickly.
    const opts = { intervalMs: 1, boundS: 0.005, sleep: async (ms: number) => void (clock.t += ms), now: () => clock.t };
    const base = MESHES[name].baseline();
    await assert.rejects(waitUntilReady(plan, base.io, opts), (err: Error) => err.message.includes(`never saw ${plan.what}`) && /the last round saw \S/.test(err.message));
    clock.t = 0;
    const live = MESHES[name].scenario();
    const { rounds } = await waitUntilReady(plan, live.io, opts);
    assert.equal(rounds, 1);
  });
}

test('the probes send what the claim is about: headers, SNI and the CA, concurrency, counters', () => {
  const tls = readinessPlan(EXPECT.tls, { ca: 'PEM' }).calls[0]!;
  assert.ok(tls.via === 'gateway' && tls.probe.ca === 'PEM' && tls.probe.servername === 'shop.localhost' && tls.probe.url.startsWith('https://'));
  const lb = readinessPlan(EXPECT.lb).calls;
  assert.equal(lb.length, 40, 'every user twice');
  assert.ok(lb.every((c) => c.via === 'gateway' && /^user-\d+$/.test(c.probe.headers?.['x-user-id'] ?? '')));
  assert.equal(readinessPlan(EXPECT.breaker).concurrent, true);
  assert.deepEqual(readinessPlan(EXPECT.mirror).counter, { namespace: 'shop', selector: 'app=products,version=v2' });
  assert.deepEqual(readinessPlan(EXPECT.retries).counter, { namespace: 'shop', selector: 'app=payments' });
  const retries = readinessPlan(EXPECT.retries).calls[0]!;
  assert.ok(retries.via === 'gateway' && retries.probe.url.endsWith('/api/payments?order=5001'));
  const mtls = readinessPlan(EXPECT.mtls).calls[0]!;
  assert.deepEqual(mtls, { via: 'pod', namespace: 'shop', selector: 'app=products', port: 8080, path: '/products/101' });
});

// The edges of the readiness probes: which answers prove a scenario's config and which only look
// close (an app's own 503, an abort with another status, a round cut short), how the calls are sent
// (one at a time or as a burst, where to), and how the wait is bounded by the clock and by rounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { FixableError } from '../cli.ts';
import { sandboxPorts } from '../providers/ports.ts';
import type { Expectations } from '../../../loadtests/lib/expectations.ts';
import { lbUser, podsByUser, readinessPlan, waitUntilReady, type Answer, type ReadinessIO, type ReadinessPlan, type Round } from './readiness.ts';

const v = (version: string, pod = `products-${version}-a`): Answer => ({ status: 200, headers: { 'x-service': 'products', 'x-service-version': version, 'x-pod': pod }, body: '{}' });
const plain = (status: number, body = ''): Answer => ({ status, headers: {}, body });
const round = (answers: Answer[], counterDelta?: number): Round => ({ answers, ...(counterDelta === undefined ? {} : { counterDelta }) });
const ready = (e: Expectations, answers: Answer[], counterDelta?: number): boolean => readinessPlan(e).ready(round(answers, counterDelta));

const canary: Expectations = { scenario: 'canary', service: 'products', weights: { v1: 90, v2: 10 }, version: 'v2', share: 0.1 };
const ab: Expectations = { scenario: 'ab', service: 'products', header: 'x-user-group', value: 'beta', matchVersion: 'v2', defaultVersion: 'v1' };
const breaker: Expectations = {
  scenario: 'breaker', service: 'products', pool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
  outlier: { consecutive5xxErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 50 }, replicas: 4, failingReplicas: 1, overflowConcurrency: 3,
};
const mirror: Expectations = { scenario: 'mirror', service: 'products', routeVersion: 'v1', mirrorVersion: 'v2', mirrorShare: 1 };
const retries = (service = 'payments'): Expectations => ({ scenario: 'retries', service, attempts: 5, retryOn: '5xx', errorShare: 0.3, errorStatus: 503, retried: true, successShare: 0.999 });
const mtls = (legacyShare: number, service = 'products'): Expectations => ({ scenario: 'mtls', mode: legacyShare ? 'PERMISSIVE' : 'STRICT', meshNamespace: 'shop', legacyNamespace: 'legacy', service, legacyShare });
const ratelimit = (maxTokens: number, instances: number, limitPerSecond: number): Expectations => ({ scenario: 'ratelimit', service: 'products', maxTokens, tokensPerFill: 1, fillIntervalMs: 100, instances, limitPerSecond });
const lb = (users: number): Expectations => ({ scenario: 'lb', service: 'products', hashHeader: 'x-user-id', replicas: 3, users });
const jwt: Expectations = { scenario: 'jwt', issuer: 'shopmesh-users', jwksUri: 'http://users.shop/jwks', protectedPaths: ['/api/orders/*'], path: '/api/orders/5001' };
const denied = plain(403, 'RBAC: access denied');

/** A fake sleep that gives up after `limit` pauses, so a wait that never ends fails the test instead of hanging it. */
function boundedSleep(onSleep: (ms: number) => void = () => undefined, limit = 100) {
  let n = 0;
  return async (ms: number): Promise<void> => {
    if (++n > limit) throw new Error(`the wait did not end after ${limit} pauses`);
    onSleep(ms);
  };
}

/** A mesh that answers every call alike, counting calls in flight at once. */
function countingMesh(answer: Answer = v('v1')) {
  let inFlight = 0;
  const seen = { max: 0, calls: 0, counterReads: 0 };
  const io: ReadinessIO = {
    send: async () => {
      seen.calls++;
      seen.max = Math.max(seen.max, ++inFlight);
      await tick();
      inFlight--;
      return answer;
    },
    podGet: async () => answer,
    counter: async () => ++seen.counterReads * 3,
  };
  return { io, seen };
}

test('gateway probes go to 127.0.0.1 at the ports in force, with the shop host; TLS names the host for SNI', () => {
  const { http, https } = sandboxPorts();
  assert.deepEqual(readinessPlan({ scenario: 'baseline', routes: [] }).calls, [{ via: 'gateway', probe: { url: `http://127.0.0.1:${http}/`, headers: { Host: 'shop.localhost' } } }]);
  assert.deepEqual(readinessPlan(canary).calls[0], { via: 'gateway', probe: { url: `http://127.0.0.1:${http}/api/products/101`, headers: { Host: 'shop.localhost' } } });
  const tls: Expectations = { scenario: 'tls', host: 'shop.example', secretName: 's', gatewayNamespace: 'istio-ingress', httpsRedirect: true, certificate: 'c' };
  assert.deepEqual(readinessPlan(tls).calls, [{ via: 'gateway', probe: { url: `https://127.0.0.1:${https}/`, headers: { Host: 'shop.example' }, servername: 'shop.example' } }], 'no CA given, none sent');
  assert.ok(readinessPlan(tls).what.includes(`:${https}/`));
});

test('probes for services the shop has no known GET for fall back to the plain prefix or /', () => {
  const r = readinessPlan(retries('reviews'));
  assert.ok(r.calls.every((c) => c.via === 'gateway' && c.probe.url.endsWith(`:${sandboxPorts().http}/api/reviews`)));
  assert.deepEqual(r.counter, { namespace: 'shop', selector: 'app=reviews' });
  assert.deepEqual(readinessPlan(mtls(0, 'reviews')).calls, [{ via: 'pod', namespace: 'shop', selector: 'app=reviews', port: 8080, path: '/' }]);
});

test('bursts go out all at once; every other probe sends one call at a time', async () => {
  for (const e of [breaker, ratelimit(10, 1, 10)]) {
    const mesh = countingMesh();
    const plan = readinessPlan(e);
    await waitUntilReady(plan, mesh.io, { boundS: 0 }).catch(() => undefined);
    assert.equal(plan.concurrent, true);
    assert.equal(mesh.seen.max, plan.calls.length, `${e.scenario}: all ${plan.calls.length} in flight together`);
  }
  for (const e of [canary, ab, mirror, retries(), lb(4), { scenario: 'timeout', routeService: 'products', timeoutMs: 500, slowService: 'products', latencyMs: 3000, latencyShare: 1, timeoutShare: 1 } as Expectations]) {
    const mesh = countingMesh();
    const plan = readinessPlan(e);
    await waitUntilReady(plan, mesh.io, { boundS: 0 }).catch(() => undefined);
    assert.equal(mesh.seen.calls, plan.calls.length, `${e.scenario}: one round`);
    assert.equal(mesh.seen.max, 1, `${e.scenario}: one call at a time`);
  }
});

test('the rate-limit burst is twice what all the buckets hold plus a second of refill, within 20..200', () => {
  assert.equal(readinessPlan(ratelimit(10, 2, 10)).calls.length, 50);
  assert.match(readinessPlan(ratelimit(10, 2, 10)).what, /buckets hold 20\)/);
  assert.equal(readinessPlan(ratelimit(2, 1, 1)).calls.length, 20);
  assert.equal(readinessPlan(ratelimit(100, 3, 10)).calls.length, 200);
});

test('a round without answers proves nothing, and neither does a round where only some answers show the config', () => {
  const authz: Expectations = { scenario: 'authz', namespace: 'shop', sources: [], edges: [], gatewayDenied: { service: 'payments', path: '/api/payments?order=5001' } };
  for (const e of [ab, jwt, authz, mirror, mtls(0), { scenario: 'baseline', routes: [] } as Expectations]) assert.equal(ready(e, [], 5), false, `${e.scenario}: empty round`);
  assert.equal(ready(ab, [v('v2'), v('v1'), v('v2')]), false, 'one gateway pod still routes beta to v1');
  assert.equal(ready(ab, [v('v2'), v('v2'), v('v2')]), true);
  assert.equal(ready(jwt, [denied, plain(401, 'Jwt is missing')]), false);
  assert.equal(ready(authz, [plain(200, '[]'), denied]), false);
});

test('authz without a gateway denial waits for the storefront to answer 2xx', () => {
  const e: Expectations = { scenario: 'authz', namespace: 'shop', sources: ['orders'], edges: [] };
  const plan = readinessPlan(e);
  assert.deepEqual(plan.calls, [{ via: 'gateway', probe: { url: `http://127.0.0.1:${sandboxPorts().http}/`, headers: { Host: 'shop.localhost' } } }]);
  assert.match(plan.what, /storefront answering 2xx/);
  assert.equal(plan.ready(round([plain(200, '<html>')])), true);
  assert.equal(plan.ready(round([plain(503, 'no healthy upstream')])), false);
});

test('fault: only an injected abort with the promised status counts; a delay counts from its full length', () => {
  const abort: Expectations = { scenario: 'fault', service: 'products', abort: { share: 0.1, status: 500 } };
  assert.equal(ready(abort, [v('v1'), plain(500, 'fault filter abort')]), true);
  assert.equal(ready(abort, [v('v1'), plain(503, 'fault filter abort')]), false, 'an abort with another status');
  assert.equal(ready(abort, [v('v1'), plain(500, 'internal error')]), false, "the app's own 500");
  const delay: Expectations = { scenario: 'fault', service: 'products', delay: { share: 0.2, ms: 1000 } };
  assert.match(readinessPlan(delay).what, /≥ 1000 ms/);
  assert.equal(ready(delay, [{ ...v('v1'), durationMs: 120 }, { ...v('v1'), durationMs: 1000 }]), true);
  assert.equal(ready(delay, [{ ...v('v1'), durationMs: 120 }, { ...v('v1'), durationMs: 999 }]), false);
  assert.equal(ready(delay, [v('v1')]), false, 'an answer without a duration');
  // Istio refuses a fault with neither, but the plan still has a defined answer: nothing beyond an answer.
  assert.equal(ready({ scenario: 'fault', service: 'products' }, [v('v1')]), true);
});

test("breaker: only Envoy's overflow 503 counts, not the failing replica's own 503", () => {
  const overloaded: Answer = { status: 503, headers: { 'x-envoy-overloaded': 'true' }, body: 'upstream connect error' };
  assert.equal(ready(breaker, [v('v1'), overloaded]), true);
  assert.equal(ready(breaker, [v('v1'), plain(503, 'always failing')]), false);
  assert.equal(ready(breaker, [v('v1'), { ...overloaded, status: 429 }]), false, 'the header on another status');
});

test('mirror: the mirror counter moves while every client answer comes from the route version', () => {
  assert.equal(ready(mirror, [v('v1'), v('v1')], 2), true);
  assert.equal(ready(mirror, [v('v1'), v('v2')], 2), false, 'a split, not a mirror');
  assert.equal(ready(mirror, [v('v2'), v('v2')], 2), false);
  assert.equal(ready(mirror, [v('v1'), v('v1')], 0), false);
  assert.match(readinessPlan(mirror).seen(round([v('v1')], 7)), /v2 counted 7/);
});

test('retries: the service counted more requests than were sent; what the round saw names both', () => {
  const plan = readinessPlan(retries());
  assert.match(plan.what, /a retry of its 30% 503s/);
  assert.equal(plan.ready(round([], 21)), true);
  assert.equal(plan.ready(round([], 20)), false);
  assert.match(plan.seen(round([plain(200)], 25)), /payments counted 25 for 20 sent/);
  assert.match(plan.seen(round([plain(200)])), /payments counted \? for 20 sent/, 'a count never read');
  assert.match(readinessPlan(mirror).seen(round([v('v1')])), /v2 counted \?/);
});

test('mtls: STRICT waits for the plaintext call to be refused, PERMISSIVE for it to be served', () => {
  const refused = plain(503, 'read: connection reset by peer');
  assert.equal(ready(mtls(0), [refused]), true);
  assert.equal(ready(mtls(0), [plain(200)]), false);
  assert.equal(ready(mtls(0.5), [plain(200)]), true);
  assert.equal(ready(mtls(0.5), [refused]), false);
});

test('lb: each user twice on the same pod, over at least two pods', () => {
  const e = lb(4);
  const answers = (first: string[], second: string[]): Answer[] => [...first, ...second].map((p) => v('v1', p));
  assert.equal(lbUser(3), 'user-3');
  assert.equal(ready(e, answers(['a', 'b', 'a', 'b'], ['a', 'b', 'a', 'b'])), true, 'two pods are enough');
  assert.equal(ready(e, answers(['a', 'a', 'a', 'a'], ['a', 'a', 'a', 'a'])), false, 'all on one pod');
  assert.equal(ready(e, answers(['a', 'b', 'c', 'a'], ['a', 'b', 'c', 'b'])), false, 'one user moved');
  assert.match(readinessPlan(e).seen(round(answers(['a', 'b', 'c', 'a'], ['a', 'b', 'c', 'b']))), /1 of 4 users moved between pods; 3 pod\(s\) seen/);
});

test('podsByUser: a missing or failed answer leaves its user without a pod', () => {
  assert.deepEqual(podsByUser([v('v1', 'a'), v('v1', 'b'), v('v1', 'a')], 2), ['a', undefined]);
  assert.deepEqual(podsByUser([v('v1', 'a'), { status: 0, headers: { 'x-pod': 'b' } }, v('v1', 'a'), v('v1', 'b')], 2), ['a', undefined]);
  assert.deepEqual(podsByUser([], 2), [undefined, undefined]);
});

test('what a round saw: answers counted by status, version and what Envoy said', () => {
  const seen = readinessPlan(canary).seen;
  const text = seen(round([v('v1'), v('v1'), v('v2'), { status: 503, headers: { 'x-envoy-overloaded': 'true' } }, plain(500, 'fault filter abort'), denied]));
  assert.deepEqual(text.split(', ').sort(), ['1× 200 v2', '1× 403 RBAC', '1× 500 fault-abort', '1× 503 overloaded', '2× 200 v1']);
  assert.equal(seen(round([])), 'no answer');
});

test('the wait: one round per interval until the bound, counted from the first round', async () => {
  const plan = readinessPlan(canary);
  const run = async (opts: { intervalMs?: number; boundS: number; roundMs?: number; clock?: 'stuck' }) => {
    const clock = { t: 1_000_000 };
    const sleeps: number[] = [];
    let rounds = 0;
    const io: ReadinessIO = {
      send: async () => v('v1'),
      podGet: async () => v('v1'),
      counter: async () => 0,
    };
    const counted: ReadinessPlan = { ...plan, ready: (r) => (rounds++, clock.t += opts.clock ? 0 : (opts.roundMs ?? 0), plan.ready(r)) };
    const err = await waitUntilReady(counted, io, {
      ...(opts.intervalMs ? { intervalMs: opts.intervalMs } : {}),
      boundS: opts.boundS,
      sleep: boundedSleep((ms) => void (sleeps.push(ms), (clock.t += opts.clock ? 0 : ms))),
      now: () => clock.t,
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof FixableError, String(err));
    assert.ok(err.hint.includes(`127.0.0.1:${sandboxPorts().http}`), 'the hint names the gateway port to check');
    return { rounds, sleeps };
  };
  assert.deepEqual(await run({ boundS: 0.002, intervalMs: 1 }), { rounds: 3, sleeps: [1, 1] }, 'the given sleep and clock are used');
  assert.deepEqual(await run({ boundS: 5 }), { rounds: 6, sleeps: [1000, 1000, 1000, 1000, 1000] }, 'a round at 0, 1, …, 5 s; none after the bound');
  assert.deepEqual(await run({ boundS: 5, roundMs: 2000 }), { rounds: 2, sleeps: [1000] }, 'slow rounds use up the bound');
  assert.deepEqual((await run({ boundS: 3, intervalMs: 500, clock: 'stuck' })).rounds, 7, 'a stuck clock: ⌈3000/500⌉ + 1 rounds');
  assert.deepEqual(await run({ boundS: 0 }), { rounds: 1, sleeps: [] }, 'a zero bound still probes once');
});

test('the wait refuses an interval or a bound that cannot end it', async () => {
  const mesh = countingMesh();
  for (const bad of [{ intervalMs: 0 }, { intervalMs: -5 }, { intervalMs: Number.NaN }, { boundS: -1 }, { boundS: Number.NaN }]) {
    await assert.rejects(waitUntilReady(readinessPlan(canary), mesh.io, { sleep: boundedSleep(), now: () => 0, ...bad }), RangeError, JSON.stringify(bad));
  }
  assert.equal(mesh.seen.calls, 0, 'nothing was sent');
});

test('a round reads the counter before and after its calls, and only for a plan that names one', async () => {
  const mesh = countingMesh();
  const rounds: Round[] = [];
  const capture = (p: ReadinessPlan): ReadinessPlan => ({ ...p, ready: (r) => (rounds.push(r), true) });
  const opts = { boundS: 0.01, sleep: boundedSleep() };
  await waitUntilReady(capture(readinessPlan(mirror)), mesh.io, opts);
  assert.equal(mesh.seen.counterReads, 2);
  assert.equal(rounds[0]!.counterDelta, 3, 'read 3 then 6');
  await waitUntilReady(capture(readinessPlan(canary)), mesh.io, opts);
  assert.equal(mesh.seen.counterReads, 2, 'no counter read for a plan without one');
  assert.ok(!('counterDelta' in rounds[1]!));
});

// Readiness that proves the new config: before the measured load, a bounded probe whose answer the
// baseline cannot give (a v2 answer, an injected abort, a 429, an overflow, a 403, a refused
// plaintext call, a counter that moves). A timeout names the probe and what it saw instead.
import { sandboxPorts } from '../providers/ports.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { FixableError } from '../cli.ts';
import { classify, header, type ResponseLike } from '../../../loadtests/lib/classify.ts';
import { READINESS_BOUND_S } from '../../../loadtests/lib/claims.ts';
import { GATEWAY_PROBES, ORDER_PATH, PRODUCT_PATH, SERVICE_PROBES } from '../../../loadtests/lib/endpoints.ts';
import type { Expectations } from '../../../loadtests/lib/expectations.ts';
import type { Probe } from './cluster.ts';

/** The gateway on this machine, at the ports in force (see providers/ports.ts; the runner adopts those up recorded). */
export const gatewayHttp = (): string => `http://127.0.0.1:${sandboxPorts().http}`;
export const gatewayHttpsPort = (): number => sandboxPorts().https;
export const SHOP_HOST = 'shop.localhost';

/** One request of a round: through the gateway, or plaintext straight into a pod (API server pod proxy, no sidecar of ours). */
export type Call = { via: 'gateway'; probe: Probe } | { via: 'pod'; namespace: string; selector: string; port: number; path: string };

export interface Answer extends ResponseLike {
  durationMs?: number;
}

export interface Round {
  answers: Answer[];
  /** How far the admin request counter of `counter`'s pods moved during the round. */
  counterDelta?: number;
}

export interface ReadinessPlan {
  /** What proves the scenario's config is live (and the baseline cannot show). */
  what: string;
  calls: Call[];
  concurrent: boolean;
  counter?: { namespace: string; selector: string };
  ready(round: Round): boolean;
  /** What a round showed, for the timeout message. */
  seen(round: Round): string;
}

export interface ReadinessIO {
  send(p: Probe): Promise<Answer>;
  podGet(namespace: string, selector: string, port: number, path: string): Promise<Answer>;
  counter(namespace: string, selector: string): Promise<number>;
}

const via = (path: string, headers: Record<string, string> = {}): Call => ({ via: 'gateway', probe: { url: `${gatewayHttp()}${path}`, headers: { Host: SHOP_HOST, ...headers } } });
const times = (n: number, call: Call | ((i: number) => Call)): Call[] => Array.from({ length: n }, (_, i) => (typeof call === 'function' ? call(i) : call));
const statuses = (r: Round): string => {
  const counts = new Map<string, number>();
  for (const a of r.answers) {
    const c = classify(a);
    const key = `${a.status}${c.version ? ` ${c.version}` : ''}${c.overloaded ? ' overloaded' : ''}${c.faultAbort ? ' fault-abort' : ''}${c.rbacDenied ? ' RBAC' : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join(', ') || 'no answer';
};
/** Every answer of the round shows it; a round without answers proves nothing. */
const all = (r: Round, shows: (a: Answer) => boolean): boolean => r.answers.length > 0 && r.answers.every(shows);

/** The users the lb probe asks for, as the k6 script names them. */
export const lbUser = (i: number): string => `user-${i}`;

/** Which pod each lb user landed on, over a round that asks for every user twice; undefined for a user whose two answers disagree. */
export function podsByUser(answers: readonly Answer[], users: number): (string | undefined)[] {
  return Array.from({ length: users }, (_, i) => {
    const a = answers[i]?.status ? header(answers[i]!.headers, 'x-pod') : undefined;
    const b = answers[i + users]?.status ? header(answers[i + users]!.headers, 'x-pod') : undefined;
    return a !== undefined && a === b ? a : undefined;
  });
}

export function readinessPlan(e: Expectations, opts: { ca?: string } = {}): ReadinessPlan {
  const simple = (what: string, calls: Call[], ready: (r: Round) => boolean, extra: Partial<ReadinessPlan> = {}): ReadinessPlan => ({ what, calls, concurrent: false, ready, seen: statuses, ...extra });
  switch (e.scenario) {
    case 'baseline':
      return simple('the storefront answering 2xx through the gateway', [via('/')], (r) => all(r, (a) => classify(a).ok));
    case 'canary':
      return simple(`a ${e.version} answer on ${PRODUCT_PATH}`, times(10, via(PRODUCT_PATH)), (r) => r.answers.some((a) => classify(a).version === e.version));
    case 'ab':
      return simple(`${e.header}: ${e.value} reaching ${e.matchVersion}`, times(3, via(PRODUCT_PATH, { [e.header]: e.value })), (r) => all(r, (a) => classify(a).version === e.matchVersion));
    case 'fault':
      return e.abort
        ? simple(`a "fault filter abort" ${e.abort.status}`, times(10, via(PRODUCT_PATH)), (r) => r.answers.some((a) => classify(a).faultAbort && a.status === e.abort!.status))
        : simple(`an answer delayed by ≥ ${e.delay?.ms ?? 0} ms`, times(5, via(PRODUCT_PATH)), (r) => r.answers.some((a) => (a.durationMs ?? 0) >= (e.delay?.ms ?? 0)));
    case 'timeout':
      return simple(`a 504 within the ${e.timeoutMs} ms route timeout`, [via(ORDER_PATH)], (r) => all(r, (a) => a.status === 504));
    case 'retries': {
      const n = 20;
      const selector = `app=${e.service}`;
      return {
        what: `${e.service} counting more requests than the gateway sent (a retry of its ${Math.round(e.errorShare * 100)}% ${e.errorStatus}s)`,
        calls: times(n, via(GATEWAY_PROBES[`/api/${e.service}`] ?? `/api/${e.service}`)),
        concurrent: false,
        counter: { namespace: 'shop', selector },
        ready: (r) => (r.counterDelta ?? 0) > n,
        seen: (r) => `${statuses(r)}; ${e.service} counted ${r.counterDelta ?? '?'} for ${n} sent`,
      };
    }
    case 'breaker': {
      const burst = Math.max(8, e.overflowConcurrency * 4);
      return simple(`a 503 with x-envoy-overloaded in a burst of ${burst} concurrent calls`, times(burst, via(PRODUCT_PATH)), (r) => r.answers.some((a) => a.status === 503 && classify(a).overloaded), { concurrent: true });
    }
    case 'mirror':
      return {
        what: `${e.service} ${e.mirrorVersion}'s request counter moving while clients see ${e.routeVersion}`,
        calls: times(10, via(PRODUCT_PATH)),
        concurrent: false,
        counter: { namespace: 'shop', selector: `app=${e.service},version=${e.mirrorVersion}` },
        ready: (r) => (r.counterDelta ?? 0) > 0 && all(r, (a) => classify(a).version === e.routeVersion),
        seen: (r) => `${statuses(r)}; ${e.mirrorVersion} counted ${r.counterDelta ?? '?'}`,
      };
    case 'mtls':
      return simple(
        `a plaintext call into a ${e.service} pod refused under ${e.mode} (API server pod proxy, no sidecar on the caller)`,
        [{ via: 'pod', namespace: e.meshNamespace, selector: `app=${e.service}`, port: 8080, path: SERVICE_PROBES[e.service] ?? '/' }],
        (r) => all(r, (a) => (e.legacyShare === 0 ? !classify(a).ok : classify(a).ok)),
      );
    case 'jwt':
      return simple(`403 "RBAC: access denied" on ${e.path} without a token`, [via(e.path)], (r) => all(r, (a) => classify(a).rbacDenied));
    case 'authz':
      return e.gatewayDenied
        ? simple(`the gateway denied on ${e.gatewayDenied.path} (403 "RBAC: access denied", ${e.gatewayDenied.service} allows no gateway calls)`, [via(e.gatewayDenied.path)], (r) => all(r, (a) => classify(a).rbacDenied))
        : simple('the storefront answering 2xx through the gateway', [via('/')], (r) => all(r, (a) => classify(a).ok));
    case 'tls':
      return simple(
        `https://${e.host}:${gatewayHttpsPort()}/ answering 2xx with the certificate verified against the sandbox CA`,
        [{ via: 'gateway', probe: { url: `https://127.0.0.1:${gatewayHttpsPort()}/`, headers: { Host: e.host }, servername: e.host, ...(opts.ca ? { ca: opts.ca } : {}) } }],
        (r) => all(r, (a) => classify(a).ok),
      );
    case 'ratelimit': {
      const burst = Math.min(200, Math.max(20, Math.ceil(e.maxTokens * e.instances * 2 + e.limitPerSecond)));
      return simple(`a 429 in a burst of ${burst} concurrent calls (buckets hold ${e.maxTokens * e.instances})`, times(burst, via(PRODUCT_PATH)), (r) => r.answers.some((a) => classify(a).kind === 'rate-limited'), { concurrent: true });
    }
    case 'lb': {
      const calls = [...times(e.users, (i) => via(PRODUCT_PATH, { [e.hashHeader]: lbUser(i) })), ...times(e.users, (i) => via(PRODUCT_PATH, { [e.hashHeader]: lbUser(i) }))];
      return {
        what: `each of ${e.users} users answered twice by the same pod, the users on several pods`,
        calls,
        concurrent: false,
        ready: (r) => {
          const pods = podsByUser(r.answers, e.users);
          return pods.every((p) => p !== undefined) && new Set(pods).size >= 2;
        },
        seen: (r) => {
          const pods = podsByUser(r.answers, e.users);
          return `${pods.filter((p) => p === undefined).length} of ${e.users} users moved between pods; ${new Set(pods.filter((p) => p !== undefined)).size} pod(s) seen`;
        },
      };
    }
  }
}

export interface WaitOptions {
  intervalMs?: number;
  boundS?: number;
  sleep?: (ms: number) => Promise<unknown>;
  now?: () => number;
}

async function round(plan: ReadinessPlan, io: ReadinessIO): Promise<Round> {
  const counter = plan.counter;
  const count = counter ? () => io.counter(counter.namespace, counter.selector) : undefined;
  const before = await count?.();
  const one = (c: Call) => (c.via === 'gateway' ? io.send(c.probe) : io.podGet(c.namespace, c.selector, c.port, c.path));
  const answers: Answer[] = [];
  if (plan.concurrent) answers.push(...(await Promise.all(plan.calls.map(one))));
  else for (const c of plan.calls) answers.push(await one(c));
  return count ? { answers, counterDelta: (await count()) - before! } : { answers };
}

/** Probes in rounds until the plan sees its proof; bounded by `boundS` (the breaker window counts on it). */
export async function waitUntilReady(plan: ReadinessPlan, io: ReadinessIO, opts: WaitOptions = {}): Promise<{ rounds: number }> {
  const intervalMs = opts.intervalMs ?? 1000;
  const boundS = opts.boundS ?? READINESS_BOUND_S;
  const boundMs = boundS * 1000;
  const now = opts.now ?? Date.now;
  const pause = opts.sleep ?? sleep;
  // A zero interval would leave the round count below unbounded.
  if (!(intervalMs > 0) || !(boundMs >= 0)) throw new RangeError(`readiness needs an interval > 0 ms and a bound ≥ 0 s, not ${intervalMs} ms and ${boundS} s`);
  const start = now();
  // The round count bounds the loop too, should the clock stand still.
  const maxRounds = Math.ceil(boundMs / intervalMs) + 1;
  for (let i = 1; ; i++) {
    const last = await round(plan, io);
    if (plan.ready(last)) return { rounds: i };
    if (i >= maxRounds || now() - start + intervalMs > boundMs) {
      throw new FixableError(
        `the new config is not live after ${boundS} s: never saw ${plan.what}; the last round saw ${plan.seen(last)}`,
        `is the gateway reachable on 127.0.0.1:${sandboxPorts().http} (\`npm run status\`)? which proxies lag: \`istioctl proxy-status\``,
      );
    }
    await pause(intervalMs);
  }
}

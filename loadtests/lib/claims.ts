// The load each scenario sends and the claims it makes, built from the expectations. The k6
// scripts turn the claims into thresholds (so the exit code is the verdict); the runner evaluates
// the same claims against the k6 summary for its verdict table.
import { FALSE_FAIL_PER_RUN, sampleSizeToTell, toleranceBand } from './stats.ts';
import type { BreakerExpectations, Expectations } from './expectations.ts';

export interface Phase {
  /** k6 scenario name, also the exported function it runs. */
  name: string;
  rate: number;
  durationS: number;
  startS: number;
  preAllocatedVUs: number;
  maxVUs: number;
  /** For in-cluster runs: the Job (namespace, ServiceAccount) the phase runs in. */
  role?: string;
  /** The exported function it runs, when not `name`. */
  exec?: string;
  /** Requests one iteration sends (authz: one per edge of the role). */
  requestsPerIteration?: number;
  /** `runner`: the scenario runner sends this phase itself (tls: Node verifies the certificate on every OS). */
  driver?: 'runner';
}

/** A share a broken mesh would show instead of p, which the plan must be able to reject. */
export interface Alternative {
  share: number;
  why: string;
}

export type Claim =
  | {
      id: string; title: string; kind: 'share'; p: number; minSamples: number; side: 'both' | 'lower' | 'upper'; slack?: number; source?: 'k6' | 'runner'; role?: string;
      /** The load phase whose rate sets n (for the power check's "rate it would need"). */
      phase?: string;
      /** Shares of a broken mesh the plan must tell apart (default for 0 < p < 1: none at all, and 2p). */
      alternatives?: Alternative[];
      /** Comparisons this one row stands for (the busiest of m pods: m), for the false-fail budget. */
      tests?: number;
    }
  | { id: string; title: string; kind: 'rate-at-least' | 'rate-at-most'; limit: number; role?: string }
  | { id: string; title: string; kind: 'count-at-least' | 'count-at-most'; limit: number; role?: string; source?: 'k6' | 'runner' }
  | { id: string; title: string; kind: 'trend-at-most'; stat: 'p(99)' | 'max'; limit: number; role?: string };

/** Samples we count on from an arrival-rate phase (k6 may drop iterations when VUs run short). */
export function minSamples(phase: Phase): number {
  return Math.max(1, Math.floor(phase.rate * phase.durationS * 0.8));
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

function phase(name: string, rate: number, durationS: number, extra: Partial<Phase> = {}, holdMs = 500): Phase {
  const inFlight = Math.ceil((rate * holdMs) / 1000);
  return { name, rate, durationS, startS: 0, preAllocatedVUs: Math.max(2, inFlight + 2), maxVUs: Math.max(4, inFlight * 2 + 10), ...extra };
}

/** The arrival rate that yields enough samples to tell p from 2p within `durationS`. */
export function rateToTell(p: number, durationS: number, claims: number, floor = 5, ceiling = 60): number {
  if (p <= 0 || p >= 1) return floor;
  return clamp(Math.ceil(sampleSizeToTell(p, claims) / 0.8 / durationS), floor, ceiling);
}

/**
 * Infrastructure noise: requests that got no HTTP response because a DNS lookup, a dial or the
 * connection failed (k6 error codes 11xx/12xx), which is the laptop's network, not the mesh's answer.
 * The exact claims (a share of 0 or 1) leave them out, and they get their own row: at most 0.5% of the
 * planned requests, and never fewer than 2, so one transient reset does not fail a correct mesh while a
 * gateway that drops connections still fails.
 */
export const INFRA_NOISE_SHARE = 0.005;
export const INFRA_NOISE_MIN = 2;

export function plannedRequests(phases: readonly Phase[]): number {
  return phases.reduce((sum, p) => sum + p.rate * p.durationS * (p.requestsPerIteration ?? 1), 0);
}

export function infraAllowance(phases: readonly Phase[]): number {
  return Math.max(INFRA_NOISE_MIN, Math.ceil(INFRA_NOISE_SHARE * plannedRequests(phases)));
}

/**
 * A mirror is fire-and-forget: Envoy drops a copy when the shadow cluster is slow or its pool is full,
 * and never tells the client. The received share may fall this far below the mirror percentage.
 */
export const MIRROR_LOSS_ALLOWANCE = 0.01;

/** The readiness probe's bound and the time from its end to k6's first request (k6 start-up). */
export const READINESS_BOUND_S = 60;
export const K6_START_ALLOWANCE_S = 20;
/** After this long every failing pod has been ejected (three 5xx in a row at a few requests/s, one interval). */
export const BREAKER_WARM_UP_S = 10;

export interface BreakerWindow {
  /** The outlier claim counts requests sent in [fromS, toS) of the k6 run. */
  fromS: number;
  toS: number;
  /** The earliest k6 time an ejected pod can come back: ejected no earlier than the readiness probe began. */
  returnS: number;
  marginS: number;
}

/**
 * The counted window of the outlier claim: after warm-up, and over before the ejected pod can return. A
 * pod may be ejected by the readiness probe already, so its return is counted from the probe's start.
 */
export function breakerWindow(e: BreakerExpectations, phases: readonly Phase[] = loadPlan(e)): BreakerWindow {
  const outlier = phases.find((p) => p.name === 'outlier');
  const toS = outlier ? outlier.startS + outlier.durationS : 0;
  const returnS = e.outlier.baseEjectionTimeMs / 1000 - READINESS_BOUND_S - K6_START_ALLOWANCE_S;
  return { fromS: BREAKER_WARM_UP_S, toS, returnS, marginS: returnS - toS };
}

/** Pods the lb users must land on at least: the most k that a uniform hash misses less than once in `1/alpha` runs. */
export function lbMinPods(pods: number, users: number, alpha = FALSE_FAIL_PER_RUN / 4): number {
  let k = 1;
  // P(users land on at most k pods) ≤ C(pods, k)·(k/pods)^users (union bound over the k-sets they could fill).
  for (let next = 2; next <= Math.min(pods, users); next++) {
    const ways = binomialCoefficient(pods, next - 1);
    if (ways * ((next - 1) / pods) ** users > alpha) break;
    k = next;
  }
  return k;
}

function binomialCoefficient(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

export function loadPlan(e: Expectations): Phase[] {
  switch (e.scenario) {
    case 'baseline':
      return [phase('routes', 10 * Math.max(1, Math.min(e.routes.length, 5)), 45)];
    case 'canary':
      return [phase('traffic', rateToTell(e.share, 60, 2), 60)];
    case 'ab':
      return [phase('beta', 10, 45), phase('other', 10, 45)];
    case 'fault': {
      const shares = [e.delay?.share, e.abort?.share].filter((s): s is number => s !== undefined && s > 0 && s < 1);
      const rate = Math.max(10, ...shares.map((s) => rateToTell(s, 60, 2, 10, 40)));
      return [phase('traffic', rate, 60, {}, (e.delay?.ms ?? 0) + 500)];
    }
    case 'timeout':
      return [phase('orders', rateToTell(e.timeoutShare, 60, 2, 10, 30), 60, {}, Math.min(e.latencyMs, e.timeoutMs) + 500)];
    case 'retries':
      return [phase('orders', 15, 60, {}, 1000)];
    case 'breaker':
      return [
        phase('outlier', 10, 40),
        { name: 'overflow', rate: 100, durationS: 20, startS: 45, preAllocatedVUs: e.overflowConcurrency, maxVUs: e.overflowConcurrency },
      ];
    case 'mirror':
      return [phase('traffic', 20, 60)];
    case 'mtls':
      return [phase('mesh', 10, 30, { role: 'mesh' }), phase('legacy', 10, 30, { role: 'legacy' }, 2000)];
    case 'jwt':
      return [phase('none', 5, 30), phase('forged', 5, 30), phase('valid', 5, 30)];
    case 'authz':
      return e.sources.map((s) => phase(`as_${s}`, 2, 30, { role: s, exec: 'edges', requestsPerIteration: e.edges.filter((x) => x.from === s).length }));
    case 'tls':
      return [phase('https', 10, 30, { driver: 'runner' }), phase('http', 5, 30)];
    case 'ratelimit':
      return [phase('traffic', clamp(Math.ceil(e.limitPerSecond * 4), 4, 200), 60)];
    case 'lb':
      return [{ name: 'users', rate: 20, durationS: 60, startS: 0, preAllocatedVUs: e.users, maxVUs: e.users }];
  }
}

/** Claims of one scenario; `role` keeps only those of one in-cluster Job. */
export function claimsFor(e: Expectations, phases: readonly Phase[] = loadPlan(e), role?: string): Claim[] {
  const n = (name: string): number => {
    const found = phases.find((p) => p.name === name);
    if (!found) throw new Error(`no load phase "${name}" in the ${e.scenario} plan`);
    return minSamples(found);
  };
  const infra: Claim = { id: 'infra_noise', title: 'no HTTP response (DNS, dial, reset: the network, not the mesh), left out above', kind: 'count-at-most', limit: infraAllowance(phases) };
  const claims: Claim[] = ((): Claim[] => {
    switch (e.scenario) {
      case 'baseline':
        return [
          { id: 'errors', title: 'error rate < 1%', kind: 'rate-at-most', limit: 0.01 },
          ...e.routes.map((r): Claim => ({ id: `route_ok{route:${r.name}}`, title: `${r.prefix} answers 2xx`, kind: 'rate-at-least', limit: 0.99 })),
        ];
      case 'canary':
        return [
          { id: 'canary_version_share', title: `${e.service} ${e.version} share = rendered weight`, kind: 'share', p: e.share, minSamples: n('traffic'), side: 'both', phase: 'traffic' },
          { id: 'errors', title: 'error rate < 1%', kind: 'rate-at-most', limit: 0.01 },
        ];
      case 'ab':
        return [
          { id: 'ab_beta_match', title: `${e.header}: ${e.value} reaches ${e.matchVersion}`, kind: 'share', p: 1, minSamples: n('beta'), side: 'both' },
          { id: 'ab_other_match', title: `others reach ${e.matchVersion}`, kind: 'share', p: e.matchVersion === e.defaultVersion ? 1 : 0, minSamples: n('other'), side: 'both' },
          infra,
        ];
      case 'fault':
        return [
          ...(e.abort ? [{ id: 'fault_aborted', title: `aborted with ${e.abort.status} ("fault filter abort")`, kind: 'share', p: e.abort.share, minSamples: n('traffic'), side: 'both', phase: 'traffic' } as Claim] : []),
          ...(e.delay ? [{ id: 'fault_delayed', title: `delayed by ≥ ${e.delay.ms} ms`, kind: 'share', p: e.delay.share, minSamples: n('traffic'), side: 'both', phase: 'traffic' } as Claim] : []),
        ];
      case 'timeout':
        return [
          { id: 'timeout_504', title: `504 share (slow ${e.slowService}: ${e.latencyMs} ms > ${e.timeoutMs} ms timeout)`, kind: 'share', p: e.timeoutShare, minSamples: n('orders'), side: 'both', phase: 'orders' },
          { id: 'timeout_duration', title: `p99 ≤ timeout + 20%`, kind: 'trend-at-most', stat: 'p(99)', limit: Math.round(e.timeoutMs * 1.2) },
        ];
      case 'retries':
        return [
          { id: 'retries_order_ok', title: `orders succeed despite ${Math.round(e.errorShare * 100)}% payments ${e.errorStatus}s`, kind: 'share', p: e.successShare, minSamples: n('orders'), side: 'lower', phase: 'orders',
            alternatives: [{ share: 1 - e.errorShare, why: 'no retries' }] },
          { id: 'retries_one_charge', title: 'exactly one charge per order', kind: 'share', p: 1, minSamples: 1, side: 'both' },
        ];
      case 'breaker': {
        const w = breakerWindow(e, phases);
        return [
          { id: 'breaker_overflow', title: `503 + x-envoy-overloaded at concurrency ${e.overflowConcurrency}`, kind: 'count-at-least', limit: 1 },
          {
            id: 'breaker_outlier_ok',
            title: `success in ${w.fromS}–${w.toS} s, one pod always failing (the ejected pod returns ≥ ${w.returnS} s: margin ${w.marginS} s)`,
            kind: 'rate-at-least',
            limit: 0.99,
          },
        ];
      }
      case 'mirror':
        return [
          { id: 'mirror_route_version', title: `clients see ${e.routeVersion} only`, kind: 'share', p: 1, minSamples: n('traffic'), side: 'both' },
          {
            id: 'mirror_received',
            title: `${e.mirrorVersion} received copies of the served primaries (fire-and-forget: up to ${MIRROR_LOSS_ALLOWANCE * 100}% lost)`,
            kind: 'share', p: e.mirrorShare, minSamples: n('traffic'), side: 'both', slack: MIRROR_LOSS_ALLOWANCE, source: 'runner', phase: 'traffic',
            alternatives: [{ share: 0, why: 'nothing mirrored' }],
          },
          infra,
        ];
      case 'mtls':
        return [
          { id: 'mtls_mesh_ok', title: `in-mesh client (${e.meshNamespace}) succeeds`, kind: 'rate-at-least', limit: 0.99, role: 'mesh' },
          { id: 'mtls_legacy_ok', title: `plaintext client (${e.legacyNamespace}) under ${e.mode}`, kind: 'share', p: e.legacyShare, minSamples: n('legacy'), side: 'both', role: 'legacy' },
        ];
      case 'jwt':
        return [
          { id: 'jwt_none_403', title: 'no token → 403', kind: 'share', p: 1, minSamples: n('none'), side: 'both' },
          { id: 'jwt_forged_401', title: 'forged token → 401', kind: 'share', p: 1, minSamples: n('forged'), side: 'both' },
          { id: 'jwt_valid_2xx', title: `token from ${e.issuer} → 2xx`, kind: 'share', p: 1, minSamples: n('valid'), side: 'both' },
          infra,
        ];
      case 'authz':
        return [...e.edges.map((edge): Claim => ({
          id: `authz_as_expected{edge:${edge.from}-${edge.to}}`,
          title: `${edge.from} → ${edge.to} ${edge.allowed ? 'allowed (2xx)' : 'denied (403 RBAC)'}`,
          kind: 'share',
          p: 1,
          minSamples: n(`as_${edge.from}`),
          side: 'both',
          role: edge.from,
        })), infra];
      case 'tls':
        return [
          { id: 'tls_https_ok', title: `https://${e.host} verified against the sandbox CA, 2xx`, kind: 'share', p: 1, minSamples: n('https'), side: 'both', source: 'runner' },
          ...(e.httpsRedirect ? [{ id: 'tls_http_redirect', title: 'http answers 301', kind: 'share', p: 1, minSamples: n('http'), side: 'both' } as Claim] : []),
          infra,
        ];
      case 'ratelimit': {
        const p0 = phases.find((p) => p.name === 'traffic')!;
        const sent = p0.rate * p0.durationS;
        const allowed = e.maxTokens * e.instances + e.limitPerSecond * p0.durationS;
        const p = clamp(1 - allowed / sent, 0, 1);
        // A bucket refills in steps: one fill more or less in the window is not a fault.
        const slack = (e.tokensPerFill * e.instances) / sent;
        return [{ id: 'ratelimit_429', title: `429 share = 1 − limit/rate (${e.limitPerSecond}/s of ${p0.rate}/s)`, kind: 'share', p, minSamples: minSamples(p0), side: 'both', slack, phase: 'traffic' }];
      }
      case 'lb': {
        const k = lbMinPods(e.replicas, e.users);
        return [
          { id: 'lb_sticky', title: `each ${e.hashHeader} stays on one pod`, kind: 'share', p: 1, minSamples: n('users'), side: 'both' },
          { id: 'lb_spread', title: `the ${e.users} users land on at least ${k} of the ${e.replicas} pods`, kind: 'count-at-least', limit: k, source: 'runner' },
          {
            id: 'lb_busiest_pod',
            title: `the busiest pod holds a fair share of the users (1/${e.replicas} each)`,
            kind: 'share', p: 1 / e.replicas, minSamples: e.users, side: 'upper', source: 'runner', tests: e.replicas,
            alternatives: [{ share: 1, why: 'every user on one pod' }],
          },
          { id: 'errors', title: 'error rate < 1%', kind: 'rate-at-most', limit: 0.01 },
          infra,
        ];
      }
    }
  })();
  return role === undefined ? claims : claims.filter((c) => c.role === undefined || c.role === role);
}

/** Shares are checked jointly, so each gets its part of the run's false-fail budget. */
export function shareClaimCount(claims: readonly Claim[]): number {
  return Math.max(1, claims.filter((c) => c.kind === 'share').length);
}

export interface ExpectedRange {
  lo: number;
  hi: number;
}

/** The accepted range for a claim when it saw `n` samples. */
export function expectedRange(claim: Claim, n: number, shareClaims: number): ExpectedRange {
  switch (claim.kind) {
    case 'share': {
      const band = toleranceBand(claim.p, Math.max(1, n), shareClaims * (claim.tests ?? 1));
      const slack = claim.slack ?? 0;
      return { lo: claim.side === 'upper' ? 0 : Math.max(0, band.lo - slack), hi: claim.side === 'lower' ? 1 : Math.min(1, band.hi + slack) };
    }
    case 'rate-at-least':
    case 'count-at-least':
      return { lo: claim.limit, hi: Infinity };
    case 'rate-at-most':
    case 'count-at-most':
    case 'trend-at-most':
      return { lo: -Infinity, hi: claim.limit };
  }
}

const fmt = (v: number): string => Number(v.toFixed(6)).toString();

/** k6 thresholds for the claims k6 itself measures (bands sized for the planned minimum sample count). */
export function thresholdsFor(claims: readonly Claim[]): Record<string, string[]> {
  const shareClaims = shareClaimCount(claims);
  const out: Record<string, string[]> = {};
  for (const c of claims) {
    if ('source' in c && c.source === 'runner') continue;
    const range = expectedRange(c, c.kind === 'share' ? c.minSamples : 1, shareClaims);
    const rules: string[] = [];
    switch (c.kind) {
      case 'share':
        if (c.side !== 'upper') rules.push(`rate>=${fmt(range.lo)}`);
        if (c.side !== 'lower') rules.push(`rate<=${fmt(range.hi)}`);
        break;
      case 'rate-at-least':
        rules.push(`rate>=${fmt(c.limit)}`);
        break;
      case 'rate-at-most':
        rules.push(`rate<=${fmt(c.limit)}`);
        break;
      case 'count-at-least':
        rules.push(`count>=${fmt(c.limit)}`);
        break;
      case 'count-at-most':
        rules.push(`count<=${fmt(c.limit)}`);
        break;
      case 'trend-at-most':
        rules.push(`${c.stat}<=${fmt(c.limit)}`);
        break;
    }
    out[c.id] = [...(out[c.id] ?? []), ...rules];
  }
  return out;
}

/** The k6 `scenarios` option: arrival-rate executors, one per phase (of one role, for Jobs). */
export interface ArrivalRateScenario {
  executor: 'constant-arrival-rate';
  exec: string;
  rate: number;
  timeUnit: string;
  duration: string;
  startTime: string;
  preAllocatedVUs: number;
  maxVUs: number;
  gracefulStop: string;
}

export function k6Scenarios(phases: readonly Phase[], role?: string): Record<string, ArrivalRateScenario> {
  const out: Record<string, ArrivalRateScenario> = {};
  for (const p of phases) {
    if (role !== undefined && p.role !== undefined && p.role !== role) continue;
    if (p.driver === 'runner') continue;
    out[p.name] = {
      executor: 'constant-arrival-rate',
      exec: p.exec ?? p.name,
      rate: p.rate,
      timeUnit: '1s',
      duration: `${p.durationS}s`,
      startTime: `${p.startS}s`,
      preAllocatedVUs: p.preAllocatedVUs,
      maxVUs: p.maxVUs,
      gracefulStop: '10s',
    };
  }
  return out;
}

/** Wall-clock bound of a plan, for the runner's timeouts. */
export function planSeconds(phases: readonly Phase[]): number {
  return Math.max(...phases.map((p) => p.startS + p.durationS)) + 10;
}

// The load each scenario sends and the claims it makes, built from the expectations. The k6
// scripts turn the claims into thresholds (so the exit code is the verdict); the runner evaluates
// the same claims against the k6 summary for its verdict table.
import { sampleSizeToTell, toleranceBand } from './stats.ts';
import type { Expectations } from './expectations.ts';

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
}

export type Claim =
  | { id: string; title: string; kind: 'share'; p: number; minSamples: number; side: 'both' | 'lower'; slack?: number; source?: 'k6' | 'runner'; role?: string }
  | { id: string; title: string; kind: 'rate-at-least' | 'rate-at-most'; limit: number; role?: string }
  | { id: string; title: string; kind: 'count-at-least'; limit: number; role?: string }
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
      return e.sources.map((s) => phase(`as_${s}`, 2, 30, { role: s, exec: 'edges' }));
    case 'tls':
      return [phase('https', 10, 30), phase('http', 5, 30)];
    case 'ratelimit':
      return [phase('traffic', clamp(Math.ceil(e.limitPerSecond * 4), 4, 200), 60)];
    case 'lb':
      return [{ name: 'users', rate: 20, durationS: 60, startS: 0, preAllocatedVUs: e.users, maxVUs: e.users }];
  }
}

/** Claims of one scenario; `role` keeps only those of one in-cluster Job. */
export function claimsFor(e: Expectations, phases = loadPlan(e), role?: string): Claim[] {
  const n = (name: string): number => {
    const found = phases.find((p) => p.name === name);
    if (!found) throw new Error(`no load phase "${name}" in the ${e.scenario} plan`);
    return minSamples(found);
  };
  const claims: Claim[] = ((): Claim[] => {
    switch (e.scenario) {
      case 'baseline':
        return [
          { id: 'errors', title: 'error rate < 1%', kind: 'rate-at-most', limit: 0.01 },
          ...e.routes.map((r): Claim => ({ id: `route_ok{route:${r.name}}`, title: `${r.prefix} answers 2xx`, kind: 'rate-at-least', limit: 0.99 })),
        ];
      case 'canary':
        return [
          { id: 'canary_version_share', title: `${e.service} ${e.version} share = rendered weight`, kind: 'share', p: e.share, minSamples: n('traffic'), side: 'both' },
          { id: 'errors', title: 'error rate < 1%', kind: 'rate-at-most', limit: 0.01 },
        ];
      case 'ab':
        return [
          { id: 'ab_beta_match', title: `${e.header}: ${e.value} reaches ${e.matchVersion}`, kind: 'share', p: 1, minSamples: n('beta'), side: 'both' },
          { id: 'ab_other_match', title: `others reach ${e.matchVersion}`, kind: 'share', p: e.matchVersion === e.defaultVersion ? 1 : 0, minSamples: n('other'), side: 'both' },
        ];
      case 'fault':
        return [
          ...(e.abort ? [{ id: 'fault_aborted', title: `aborted with ${e.abort.status} ("fault filter abort")`, kind: 'share', p: e.abort.share, minSamples: n('traffic'), side: 'both' } as Claim] : []),
          ...(e.delay ? [{ id: 'fault_delayed', title: `delayed by ≥ ${e.delay.ms} ms`, kind: 'share', p: e.delay.share, minSamples: n('traffic'), side: 'both' } as Claim] : []),
        ];
      case 'timeout':
        return [
          { id: 'timeout_504', title: `504 share (slow ${e.slowService}: ${e.latencyMs} ms > ${e.timeoutMs} ms timeout)`, kind: 'share', p: e.timeoutShare, minSamples: n('orders'), side: 'both' },
          { id: 'timeout_duration', title: `p99 ≤ timeout + 20%`, kind: 'trend-at-most', stat: 'p(99)', limit: Math.round(e.timeoutMs * 1.2) },
        ];
      case 'retries':
        return [
          { id: 'retries_order_ok', title: `orders succeed despite ${Math.round(e.errorShare * 100)}% payments ${e.errorStatus}s`, kind: 'share', p: e.successShare, minSamples: n('orders'), side: 'lower' },
          { id: 'retries_one_charge', title: 'exactly one charge per order', kind: 'share', p: 1, minSamples: 1, side: 'both' },
        ];
      case 'breaker':
        return [
          { id: 'breaker_overflow', title: `503 + x-envoy-overloaded at concurrency ${e.overflowConcurrency}`, kind: 'count-at-least', limit: 1 },
          { id: 'breaker_outlier_ok', title: 'success after warm-up, one pod always failing', kind: 'rate-at-least', limit: 0.99 },
        ];
      case 'mirror':
        return [
          { id: 'mirror_route_version', title: `clients see ${e.routeVersion} only`, kind: 'share', p: 1, minSamples: n('traffic'), side: 'both' },
          { id: 'mirror_received', title: `${e.mirrorVersion} received the mirrored copies`, kind: 'share', p: e.mirrorShare, minSamples: n('traffic'), side: 'lower', source: 'runner' },
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
        ];
      case 'authz':
        return e.edges.map((edge): Claim => ({
          id: `authz_as_expected{edge:${edge.from}-${edge.to}}`,
          title: `${edge.from} → ${edge.to} ${edge.allowed ? 'allowed (2xx)' : 'denied (403 RBAC)'}`,
          kind: 'share',
          p: 1,
          minSamples: n(`as_${edge.from}`),
          side: 'both',
          role: edge.from,
        }));
      case 'tls':
        return [
          { id: 'tls_https_ok', title: `https://${e.host} verified against the sandbox CA, 2xx`, kind: 'share', p: 1, minSamples: n('https'), side: 'both' },
          ...(e.httpsRedirect ? [{ id: 'tls_http_redirect', title: 'http answers 301', kind: 'share', p: 1, minSamples: n('http'), side: 'both' } as Claim] : []),
        ];
      case 'ratelimit': {
        const p0 = phases.find((p) => p.name === 'traffic')!;
        const sent = p0.rate * p0.durationS;
        const allowed = e.maxTokens * e.instances + e.limitPerSecond * p0.durationS;
        const p = clamp(1 - allowed / sent, 0, 1);
        // A bucket refills in steps: one fill more or less in the window is not a fault.
        const slack = (e.tokensPerFill * e.instances) / sent;
        return [{ id: 'ratelimit_429', title: `429 share = 1 − limit/rate (${e.limitPerSecond}/s of ${p0.rate}/s)`, kind: 'share', p, minSamples: minSamples(p0), side: 'both', slack }];
      }
      case 'lb':
        return [
          { id: 'lb_sticky', title: `each ${e.hashHeader} stays on one pod`, kind: 'share', p: 1, minSamples: n('users'), side: 'both' },
          { id: 'errors', title: 'error rate < 1%', kind: 'rate-at-most', limit: 0.01 },
        ];
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
      const band = toleranceBand(claim.p, Math.max(1, n), shareClaims);
      const slack = claim.slack ?? 0;
      return { lo: Math.max(0, band.lo - slack), hi: claim.side === 'lower' ? 1 : Math.min(1, band.hi + slack) };
    }
    case 'rate-at-least':
    case 'count-at-least':
      return { lo: claim.limit, hi: Infinity };
    case 'rate-at-most':
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
    if (c.kind === 'share' && c.source === 'runner') continue;
    const range = expectedRange(c, c.kind === 'share' ? c.minSamples : 1, shareClaims);
    const rules: string[] = [];
    switch (c.kind) {
      case 'share':
        rules.push(`rate>=${fmt(range.lo)}`);
        if (c.side === 'both') rules.push(`rate<=${fmt(range.hi)}`);
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

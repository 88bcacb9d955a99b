// What the rendered overlay promises, per scenario. The runner derives these from the manifests
// (scripts/lib/scenario/expectations.ts) and hands them to k6 as JSON in __ENV.SHOPMESH_EXPECT.

export interface BaselineExpectations { scenario: 'baseline'; routes: { name: string; prefix: string; path: string }[] }
export interface CanaryExpectations { scenario: 'canary'; service: string; weights: Record<string, number>; version: string; share: number }
export interface AbExpectations { scenario: 'ab'; service: string; header: string; value: string; matchVersion: string; defaultVersion: string }
export interface FaultExpectations {
  scenario: 'fault';
  service: string;
  delay?: { share: number; ms: number };
  abort?: { share: number; status: number };
}
export interface TimeoutExpectations {
  scenario: 'timeout';
  /** The route that carries the timeout (its host). */
  routeService: string;
  timeoutMs: number;
  slowService: string;
  latencyMs: number;
  latencyShare: number;
  /** The share of calls expected to time out: the slow share when the delay exceeds the timeout. */
  timeoutShare: number;
}
export interface RetriesExpectations {
  scenario: 'retries';
  service: string;
  attempts: number;
  retryOn: string;
  errorShare: number;
  errorStatus: number;
  /** Whether retryOn covers errorStatus. */
  retried: boolean;
  /** The order success share the mesh should give: 1 − q^(attempts+1) when retried. */
  successShare: number;
  /** The route's perTryTimeout, when it sets one. */
  perTryTimeoutMs?: number;
}
export interface BreakerExpectations {
  scenario: 'breaker';
  service: string;
  pool: { maxConnections: number; http1MaxPendingRequests: number; maxRequestsPerConnection: number };
  outlier: { consecutive5xxErrors: number; intervalMs: number; baseEjectionTimeMs: number; maxEjectionPercent: number };
  replicas: number;
  failingReplicas: number;
  /** Concurrency from which overflow must appear: connections + pending + 1. */
  overflowConcurrency: number;
}
export interface MirrorExpectations { scenario: 'mirror'; service: string; routeVersion: string; mirrorVersion: string; mirrorShare: number }
export interface MtlsExpectations {
  scenario: 'mtls';
  mode: string;
  meshNamespace: string;
  legacyNamespace: string;
  service: string;
  /** Success share the legacy (plaintext) client should see: 0 under STRICT. */
  legacyShare: number;
}
export interface JwtExpectations { scenario: 'jwt'; issuer: string; jwksUri: string; protectedPaths: string[]; path: string }
export interface AuthzEdge { from: string; to: string; allowed: boolean; path: string }
export interface AuthzExpectations {
  scenario: 'authz';
  namespace: string;
  sources: string[];
  edges: AuthzEdge[];
  /** A service the gateway may not call, and the gateway path to it: its 403 proves the policies are live. */
  gatewayDenied?: { service: string; path: string };
}
export interface TlsExpectations {
  scenario: 'tls';
  host: string;
  secretName: string;
  gatewayNamespace: string;
  httpsRedirect: boolean;
  /** The Certificate that writes secretName (waited for until Ready). */
  certificate?: string;
}
export interface RatelimitExpectations {
  scenario: 'ratelimit';
  service: string;
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
  /** Envoy instances that each keep a bucket. */
  instances: number;
  /** Requests per second the mesh lets through in total. */
  limitPerSecond: number;
}
export interface LbExpectations { scenario: 'lb'; service: string; hashHeader: string; replicas: number; users: number }

export type Expectations =
  | BaselineExpectations
  | CanaryExpectations
  | AbExpectations
  | FaultExpectations
  | TimeoutExpectations
  | RetriesExpectations
  | BreakerExpectations
  | MirrorExpectations
  | MtlsExpectations
  | JwtExpectations
  | AuthzExpectations
  | TlsExpectations
  | RatelimitExpectations
  | LbExpectations;

export type ScenarioName = Expectations['scenario'];

export const SCENARIO_NAMES: readonly ScenarioName[] = [
  'baseline', 'canary', 'ab', 'fault', 'timeout', 'retries', 'breaker', 'mirror', 'mtls', 'jwt', 'authz', 'tls', 'ratelimit', 'lb',
];

/** Parses the JSON the runner passes, checking it is for the scenario the script runs. */
export function parseExpectations<S extends ScenarioName>(json: string | undefined, scenario: S): Extract<Expectations, { scenario: S }> {
  if (!json) throw new Error(`SHOPMESH_EXPECT is not set: run this test through \`npm run scenario:${scenario}\`, which derives it from the overlay`);
  const parsed = JSON.parse(json) as Expectations;
  if (parsed.scenario !== scenario) throw new Error(`SHOPMESH_EXPECT is for "${parsed.scenario}", not "${scenario}"`);
  return parsed as Extract<Expectations, { scenario: S }>;
}

// Reads what a scenario promises from its rendered overlay: weights, fault shares, timeouts, pool
// sizes, mirror share, policies. The overlay is the only source of truth; change it and the
// thresholds follow.
import type { KubeObject } from '../kube/render.ts';
import type {
  AuthzEdge, Expectations, ScenarioName, BaselineExpectations, CanaryExpectations, AbExpectations, FaultExpectations, TimeoutExpectations,
  RetriesExpectations, BreakerExpectations, MirrorExpectations, MtlsExpectations, JwtExpectations, AuthzExpectations, TlsExpectations,
  RatelimitExpectations, LbExpectations,
} from '../../../loadtests/lib/expectations.ts';
import { GATEWAY_PROBES, ORDER_PATH, SERVICE_PROBES, probePath } from '../../../loadtests/lib/endpoints.ts';

export class ExpectationError extends Error {
  override name = 'ExpectationError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const spec = (o: KubeObject): Obj => obj(o.spec);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined);

export const SHOP_NAMESPACE = 'shop';

/** `5s`, `250ms`, `1.5s`, `2m`, or {seconds, nanos} → milliseconds. */
export function durationMs(value: unknown): number | undefined {
  if (isObj(value)) return (num(value.seconds) ?? 0) * 1000 + (num(value.nanos) ?? 0) / 1e6;
  const s = str(value);
  if (!s) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s.trim());
  if (!m) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

/** A short service name from a host (`products`, `products.shop.svc.cluster.local`). */
export function shortHost(host: string): string {
  return host.split('.')[0]!;
}

function ofKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

interface Destination { host: string; subset?: string; weight?: number }

interface HttpRoute {
  vs: KubeObject;
  route: Obj;
  destinations: Destination[];
}

function httpRoutes(objects: readonly KubeObject[]): HttpRoute[] {
  return ofKind(objects, 'VirtualService').flatMap((vs) =>
    arr(spec(vs).http).filter(isObj).map((route) => ({
      vs,
      route,
      destinations: arr(route.route).filter(isObj).map((r) => {
        const d = obj(r.destination);
        const subset = str(d.subset);
        const weight = num(r.weight);
        return { host: shortHost(str(d.host) ?? ''), ...(subset ? { subset } : {}), ...(weight !== undefined ? { weight } : {}) };
      }),
    })),
  );
}

/** Who sends the request: the ingress gateway (north-south) or a sidecar (east-west, `mesh`). */
export type Via = 'gateway' | 'mesh';

/** Whether a list of gateways takes requests sent through `via`: sidecars are `mesh`, any other name is a gateway. */
const TAKES: Record<Via, (gateways: readonly string[]) => boolean> = {
  gateway: (gateways) => gateways.some((g) => g !== 'mesh'),
  mesh: (gateways) => gateways.includes('mesh'),
};

/** Whether a VirtualService match (or, without one, the VirtualService itself) is bound to `via`. */
function boundTo(vs: KubeObject, match: Obj | undefined, via: Via): boolean {
  return TAKES[via](arr(match?.gateways ?? spec(vs).gateways ?? ['mesh']).filter((g): g is string => typeof g === 'string'));
}

/** The routes a request sent through `via` can take, in order. */
function routesVia(objects: readonly KubeObject[], via: Via): HttpRoute[] {
  return httpRoutes(objects).filter(({ vs, route }) => {
    const matches = arr(route.match).filter(isObj);
    if (matches.length === 0) return boundTo(vs, undefined, via);
    return matches.some((m) => boundTo(vs, m, via));
  });
}

/** The first route with `has`, preferring the ones bound to `via` (what the claim is about). */
function routeWith(objects: readonly KubeObject[], via: Via, has: (r: HttpRoute) => boolean): HttpRoute | undefined {
  return routesVia(objects, via).find(has) ?? httpRoutes(objects).find(has);
}

/** The destinations that receive traffic, with their share of it (weights, or 100% for one). */
function sharesOf(destinations: readonly Destination[]): { d: Destination; share: number }[] {
  const weighted = destinations.length === 1 ? [{ d: destinations[0]!, w: 100 }] : destinations.map((d) => ({ d, w: d.weight ?? 0 }));
  const total = weighted.reduce((a, b) => a + b.w, 0) || 1;
  return weighted.filter((x) => x.w > 0).map((x) => ({ d: x.d, share: x.w / total }));
}

function where(scenario: string, o: KubeObject, field: string): string {
  return `overlays/${scenario}: ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}: ${field}`;
}

function need<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new ExpectationError(message);
  return value;
}

function shareOf(percentage: unknown, legacyPercent?: unknown): number | undefined {
  const v = num(obj(percentage).value) ?? num(legacyPercent);
  return v === undefined ? undefined : v / 100;
}

/** Deployments of one app (label app=<name>), with their replicas and env. */
function deploymentsOf(objects: readonly KubeObject[], app: string): { o: KubeObject; replicas: number; env: Record<string, string> }[] {
  return ofKind(objects, 'Deployment')
    .filter((d) => obj(obj(obj(obj(spec(d).template).metadata).labels)).app === app || d.metadata.labels?.app === app)
    .map((o) => {
      const env: Record<string, string> = {};
      for (const c of arr(obj(obj(spec(o).template).spec).containers).filter(isObj)) {
        for (const e of arr(c.env).filter(isObj)) {
          const name = str(e.name);
          const value = str(e.value);
          if (name && value !== undefined) env[name] = value;
        }
      }
      return { o, replicas: num(spec(o).replicas) ?? 1, env };
    });
}

function replicasOf(objects: readonly KubeObject[], app: string): number {
  return deploymentsOf(objects, app).reduce((sum, d) => sum + d.replicas, 0);
}

function templateLabels(d: KubeObject): Record<string, unknown> {
  return obj(obj(obj(spec(d).template).metadata).labels);
}

/**
 * The Deployments whose pods a destination reaches: the app's Deployments, narrowed to the subset's
 * labels when a DestinationRule defines it (a subset that selects nothing gives none).
 */
export function deploymentsOfDestination(objects: readonly KubeObject[], d: Destination): ReturnType<typeof deploymentsOf> {
  const all = deploymentsOf(objects, d.host);
  if (!d.subset) return all;
  const subset = ofKind(objects, 'DestinationRule')
    .filter((dr) => shortHost(str(spec(dr).host) ?? '') === d.host)
    .flatMap((dr) => arr(spec(dr).subsets).filter(isObj))
    .find((s) => s.name === d.subset);
  if (!subset) return all;
  const labels = obj(subset.labels);
  return all.filter((x) => Object.entries(labels).every(([k, v]) => templateLabels(x.o)[k] === v));
}

/** Pods of the destinations a route sends traffic to. */
function podsReceiving(objects: readonly KubeObject[], destinations: readonly Destination[]): number {
  return sharesOf(destinations).reduce((sum, { d }) => sum + deploymentsOfDestination(objects, d).reduce((n, x) => n + x.replicas, 0), 0);
}

/** The route a plain request for `service` takes through `via` (the service's own host for mesh callers). */
function routeToService(objects: readonly KubeObject[], via: Via, service: string): HttpRoute | undefined {
  return routesVia(objects, via).find((r) => r.destinations.some((d) => d.host === service));
}

/** The Gateway-side route prefixes (one per route) of every VirtualService bound to a gateway. */
function baseline(objects: readonly KubeObject[]): BaselineExpectations {
  const routes: BaselineExpectations['routes'] = [];
  const seen = new Set<string>();
  for (const { vs, route } of httpRoutes(objects)) {
    const matches = arr(route.match).filter(isObj);
    const viaGateway = matches.filter((m) => boundTo(vs, m, 'gateway'));
    // A gateway-bound route without any match is the catch-all: "/".
    const prefixes = matches.length === 0 && boundTo(vs, undefined, 'gateway') ? ['/'] : viaGateway.map((m) => str(obj(m.uri).prefix) ?? str(obj(m.uri).exact)).filter((p): p is string => p !== undefined);
    for (const prefix of prefixes) {
      const key = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
      if (seen.has(key) || probePath(key) === '') continue;
      seen.add(key);
      routes.push({ name: key === '/' ? 'root' : key.replace(/^\/+/, '').replace(/[^\w-]+/g, '-'), prefix: key, path: probePath(key) });
    }
  }
  if (routes.length === 0) throw new ExpectationError('overlays/baseline: no VirtualService routes a prefix through the gateway');
  return { scenario: 'baseline', routes };
}

function canary(objects: readonly KubeObject[]): CanaryExpectations {
  // k6 sends the canary's load through the gateway: the weights that count are on its route.
  const split = routeWith(objects, 'gateway', (r) => r.destinations.filter((d) => (d.weight ?? 0) > 0).length >= 2);
  if (!split) throw new ExpectationError('overlays/canary: no VirtualService route splits traffic by weight between two subsets');
  const weights: Record<string, number> = {};
  for (const d of split.destinations) weights[d.subset ?? d.host] = (weights[d.subset ?? d.host] ?? 0) + (d.weight ?? 0);
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const version = 'v2' in weights ? 'v2' : Object.entries(weights).sort((a, b) => a[1] - b[1])[0]![0];
  return { scenario: 'canary', service: split.destinations[0]!.host, weights, version, share: weights[version]! / total };
}

const hasHeaderMatch = (r: HttpRoute): boolean => arr(r.route.match).some((m) => isObj(m) && isObj(m.headers));

function ab(objects: readonly KubeObject[]): AbExpectations {
  const viaGateway = routesVia(objects, 'gateway');
  const routes = viaGateway.some(hasHeaderMatch) ? viaGateway : httpRoutes(objects);
  for (const [i, r] of routes.entries()) {
    for (const m of arr(r.route.match).filter(isObj)) {
      const headers = obj(m.headers);
      const [name, matcher] = Object.entries(headers)[0] ?? [];
      if (!name) continue;
      const value = str(obj(matcher).exact) ?? str(obj(matcher).prefix) ?? str(obj(matcher).regex)?.replace(/^\^|\$$|\.\*/g, '');
      const fallback = routes.slice(i + 1).find((o) => o.vs === r.vs && !arr(o.route.match).some((mm) => isObj(mm) && isObj(mm.headers)));
      const headerValue = need(value, where('ab', r.vs, `spec.http[].match[].headers.${name} has no exact, prefix or regex value`));
      const matchVersion = need(r.destinations[0]?.subset, where('ab', r.vs, 'the header route names no subset'));
      return {
        scenario: 'ab',
        service: r.destinations[0]!.host,
        header: name.toLowerCase(),
        value: headerValue,
        matchVersion,
        defaultVersion: need(fallback?.destinations[0]?.subset, where('ab', r.vs, 'no route without the header match follows it')),
      };
    }
  }
  throw new ExpectationError('overlays/ab: no VirtualService route matches on a header');
}

function fault(objects: readonly KubeObject[]): FaultExpectations {
  const r = routeWith(objects, 'gateway', (x) => isObj(x.route.fault));
  if (!r) throw new ExpectationError('overlays/fault: no VirtualService route injects a fault');
  const f = obj(r.route.fault);
  const delay = isObj(f.delay)
    ? { share: need(shareOf(f.delay.percentage, f.delay.percent), where('fault', r.vs, 'fault.delay.percentage.value is missing')), ms: need(durationMs(f.delay.fixedDelay), where('fault', r.vs, 'fault.delay.fixedDelay is missing')) }
    : undefined;
  const abort = isObj(f.abort)
    ? { share: need(shareOf(f.abort.percentage, f.abort.percent), where('fault', r.vs, 'fault.abort.percentage.value is missing')), status: need(num(f.abort.httpStatus), where('fault', r.vs, 'fault.abort.httpStatus is missing')) }
    : undefined;
  return { scenario: 'fault', service: r.destinations[0]?.host ?? r.vs.metadata.name, ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) };
}

function timeout(objects: readonly KubeObject[]): TimeoutExpectations {
  // k6 calls orders through the gateway; the timeout that fires is on a sidecar's (mesh) route.
  // A timeout of 0s disables it (Istio): such a route sets none.
  const r = routeWith(objects, 'mesh', (x) => x.route.timeout !== undefined && durationMs(x.route.timeout) !== 0);
  if (!r) throw new ExpectationError('overlays/timeout: no VirtualService route sets a timeout');
  const timeoutMs = need(durationMs(r.route.timeout), where('timeout', r.vs, `spec.http[].timeout "${String(r.route.timeout)}" is not a duration`));
  const slow = ofKind(objects, 'Deployment')
    .map((o) => ({ o, app: o.metadata.labels?.app ?? o.metadata.name.replace(/-v\d+$/, '') }))
    .flatMap(({ o, app }) => deploymentsOf(objects, app).filter((d) => d.o === o && Number(d.env.LATENCY_MS ?? 0) > 0).map((d) => ({ app, ...d })))[0];
  if (!slow) throw new ExpectationError('overlays/timeout: no Deployment sets the LATENCY_MS switch, so nothing is slow');
  const latencyMs = Number(slow.env.LATENCY_MS);
  const latencyShare = Number(slow.env.LATENCY_PERCENT ?? 100) / 100;
  // Only the pods of the subsets that receive the calls count: a slow v1 behind a route to v1
  // slows every call, however many v2 pods there are.
  const toSlow = r.destinations.some((d) => d.host === slow.app) ? r : routeToService(objects, 'mesh', slow.app);
  const timeoutShare = toSlow
    ? sharesOf(toSlow.destinations).reduce((sum, { d, share }) => {
      const deployments = deploymentsOfDestination(objects, d);
      const pods = deployments.reduce((n, x) => n + x.replicas, 0);
      const slowPods = deployments.reduce((n, x) => n + (Number(x.env.LATENCY_MS ?? 0) >= timeoutMs ? x.replicas * (Number(x.env.LATENCY_PERCENT ?? 100) / 100) : 0), 0);
      return sum + (pods ? share * (slowPods / pods) : 0);
    }, 0)
    : latencyMs >= timeoutMs ? latencyShare * (slow.replicas / Math.max(1, replicasOf(objects, slow.app))) : 0;
  return {
    scenario: 'timeout',
    routeService: r.destinations[0]?.host ?? r.vs.metadata.name,
    timeoutMs,
    slowService: slow.app,
    latencyMs,
    latencyShare,
    timeoutShare,
  };
}

/** Whether Envoy's retryOn list retries a response with this status. */
export function retryOnCovers(retryOn: string, status: number): boolean {
  const policies = retryOn.split(',').map((s) => s.trim());
  if (policies.includes('5xx') && status >= 500) return true;
  if (policies.includes('gateway-error') && status >= 502 && status <= 504) return true;
  return policies.includes(String(status));
}

function retries(objects: readonly KubeObject[]): RetriesExpectations {
  // orders calls payments through its sidecar: the retries that count are on the mesh route.
  const r = routeWith(objects, 'mesh', (x) => isObj(x.route.retries) && (num(obj(x.route.retries).attempts) ?? 0) > 0);
  if (!r) throw new ExpectationError('overlays/retries: no VirtualService route sets retries.attempts');
  const service = r.destinations[0]?.host ?? r.vs.metadata.name;
  const attempts = num(obj(r.route.retries).attempts)!;
  const retryOn = str(obj(r.route.retries).retryOn) ?? 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
  const flaky = deploymentsOf(objects, service).find((d) => Number(d.env.ERROR_PERCENT ?? 0) > 0);
  if (!flaky) throw new ExpectationError(`overlays/retries: no ${service} Deployment sets the ERROR_PERCENT switch, so nothing fails to retry`);
  const errorShare = Number(flaky.env.ERROR_PERCENT) / 100;
  const errorStatus = Number(flaky.env.ERROR_STATUS ?? 503);
  const retried = retryOnCovers(retryOn, errorStatus);
  const perTryTimeoutMs = durationMs(obj(r.route.retries).perTryTimeout);
  return {
    scenario: 'retries', service, attempts, retryOn, errorShare, errorStatus, retried, successShare: 1 - errorShare ** (retried ? attempts + 1 : 1),
    ...(perTryTimeoutMs !== undefined ? { perTryTimeoutMs } : {}),
  };
}

const ISTIO_UNLIMITED = 2 ** 32 - 1;

function breaker(objects: readonly KubeObject[]): BreakerExpectations {
  const dr = ofKind(objects, 'DestinationRule').find((d) => isObj(obj(spec(d).trafficPolicy).connectionPool));
  if (!dr) throw new ExpectationError('overlays/breaker: no DestinationRule sets trafficPolicy.connectionPool');
  const tp = obj(spec(dr).trafficPolicy);
  const pool = obj(tp.connectionPool);
  const od = obj(tp.outlierDetection);
  if (!isObj(tp.outlierDetection)) throw new ExpectationError(where('breaker', dr, 'spec.trafficPolicy.outlierDetection is missing'));
  const service = shortHost(str(spec(dr).host) ?? dr.metadata.name);
  const maxConnections = num(obj(pool.tcp).maxConnections) ?? ISTIO_UNLIMITED;
  const http1MaxPendingRequests = num(obj(pool.http).http1MaxPendingRequests) ?? ISTIO_UNLIMITED;
  // The pods behind the gateway's route (every pod of the app when no route names it).
  const route = routeToService(objects, 'gateway', service);
  const deployments = route ? sharesOf(route.destinations).flatMap(({ d }) => deploymentsOfDestination(objects, d)) : deploymentsOf(objects, service);
  return {
    scenario: 'breaker',
    service,
    pool: { maxConnections, http1MaxPendingRequests, maxRequestsPerConnection: num(obj(pool.http).maxRequestsPerConnection) ?? 0 },
    outlier: {
      consecutive5xxErrors: num(od.consecutive5xxErrors) ?? num(od.consecutiveErrors) ?? 5,
      intervalMs: durationMs(od.interval) ?? 10_000,
      baseEjectionTimeMs: durationMs(od.baseEjectionTime) ?? 30_000,
      maxEjectionPercent: num(od.maxEjectionPercent) ?? 10,
    },
    replicas: deployments.reduce((s, d) => s + d.replicas, 0),
    failingReplicas: deployments.filter((d) => d.env.ALWAYS_FAIL === 'true').reduce((s, d) => s + d.replicas, 0),
    overflowConcurrency: Math.min(64, maxConnections + http1MaxPendingRequests + 1),
  };
}

/** A route's mirror: the `mirror`/`mirrorPercentage` pair, or the first of the `mirrors` list. */
function mirrorOf(route: Obj): { host?: string; subset?: string; share: number } | undefined {
  if (isObj(route.mirror)) return { host: str(route.mirror.host), subset: str(route.mirror.subset), share: shareOf(route.mirrorPercentage, route.mirrorPercent) ?? 1 };
  const first = arr(route.mirrors).filter(isObj)[0];
  if (!first) return undefined;
  const d = obj(first.destination);
  return { host: str(d.host), subset: str(d.subset), share: shareOf(first.percentage) ?? 1 };
}

function mirror(objects: readonly KubeObject[]): MirrorExpectations {
  const r = routeWith(objects, 'gateway', (x) => mirrorOf(x.route) !== undefined);
  if (!r) throw new ExpectationError('overlays/mirror: no VirtualService route mirrors traffic (mirror or mirrors)');
  const m = mirrorOf(r.route)!;
  const routeVersion = [...r.destinations].sort((a, b) => (b.weight ?? 100) - (a.weight ?? 100))[0]?.subset;
  return {
    scenario: 'mirror',
    service: shortHost(m.host ?? r.vs.metadata.name),
    routeVersion: need(routeVersion, where('mirror', r.vs, 'the mirrored route names no subset')),
    mirrorVersion: need(m.subset, where('mirror', r.vs, 'the mirror names no subset')),
    mirrorShare: m.share,
  };
}

function injected(ns: KubeObject): boolean {
  const labels = ns.metadata.labels ?? {};
  return labels['istio-injection'] === 'enabled' || labels['istio.io/rev'] !== undefined;
}

function mtls(objects: readonly KubeObject[]): MtlsExpectations {
  const pa = ofKind(objects, 'PeerAuthentication').find((p) => !isObj(spec(p).selector) && (p.metadata.namespace ?? SHOP_NAMESPACE) !== 'istio-system') ??
    ofKind(objects, 'PeerAuthentication')[0];
  if (!pa) throw new ExpectationError('overlays/mtls: no PeerAuthentication');
  const mode = str(obj(spec(pa).mtls).mode) ?? 'PERMISSIVE';
  const legacy = ofKind(objects, 'Namespace').find((n) => n.metadata.name !== SHOP_NAMESPACE && !injected(n) && n.metadata.name !== 'istio-ingress');
  if (!legacy) throw new ExpectationError('overlays/mtls: no namespace without sidecar injection for the legacy client');
  return { scenario: 'mtls', mode, meshNamespace: pa.metadata.namespace ?? SHOP_NAMESPACE, legacyNamespace: legacy.metadata.name, service: 'products', legacyShare: mode === 'STRICT' ? 0 : 1 };
}

function jwt(objects: readonly KubeObject[]): JwtExpectations {
  const ra = ofKind(objects, 'RequestAuthentication')[0];
  if (!ra) throw new ExpectationError('overlays/jwt: no RequestAuthentication');
  const rule = obj(arr(spec(ra).jwtRules)[0]);
  const issuer = need(str(rule.issuer), where('jwt', ra, 'spec.jwtRules[0].issuer is missing'));
  const jwksUri = need(str(rule.jwksUri), where('jwt', ra, 'spec.jwtRules[0].jwksUri is missing (the shop trusts its own in-cluster JWKS)'));
  const protectedPaths = ofKind(objects, 'AuthorizationPolicy')
    .flatMap((p) => arr(spec(p).rules).filter(isObj))
    .filter((rl) => arr(rl.from).some((f) => isObj(f) && (arr(obj(f.source).requestPrincipals).length > 0 || arr(obj(f.source).notRequestPrincipals).length > 0)))
    .flatMap((rl) => arr(rl.to).flatMap((t) => arr(obj(obj(t).operation).paths)))
    .filter((p): p is string => typeof p === 'string');
  if (protectedPaths.length === 0) throw new ExpectationError('overlays/jwt: no AuthorizationPolicy requires (or denies the lack of) a request principal on a path');
  return { scenario: 'jwt', issuer, jwksUri, protectedPaths, path: protectedPaths.some((p) => /orders/.test(p)) ? ORDER_PATH : probePath(protectedPaths[0]!.replace(/\*$/, '')) };
}

function principalMatches(pattern: string, principal: string): boolean {
  // `*` alone is the empty suffix: it matches everything.
  if (pattern.startsWith('*')) return principal.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return principal.startsWith(pattern.slice(0, -1));
  return pattern === principal;
}

/** The port every service listens on in the pod (its Service's targetPort): what an edge's call reaches. */
const SERVICE_TARGET_PORT = '8080';

function authz(objects: readonly KubeObject[]): AuthzExpectations {
  const ns = SHOP_NAMESPACE;
  const policies = ofKind(objects, 'AuthorizationPolicy').filter((p) => (p.metadata.namespace ?? ns) === ns);
  if (policies.length === 0) throw new ExpectationError('overlays/authz: no AuthorizationPolicy in the shop namespace');
  const apps = ofKind(objects, 'Service').filter((s) => (s.metadata.namespace ?? ns) === ns).map((s) => s.metadata.name).filter((n) => n in SERVICE_PROBES);
  const sources = ofKind(objects, 'ServiceAccount').filter((s) => (s.metadata.namespace ?? ns) === ns).map((s) => s.metadata.name).filter((n) => apps.includes(n));
  const appliesTo = (p: KubeObject, app: string): boolean => {
    const labels = obj(obj(spec(p).selector).matchLabels);
    return Object.keys(labels).length === 0 || labels.app === app;
  };
  const ruleAllows = (rule: Obj, principal: string, path: string): boolean => {
    const from = arr(rule.from).filter(isObj);
    const fromOk = from.length === 0 || from.some((f) => {
      const source = obj(f.source);
      const principals = arr(source.principals).filter((x): x is string => typeof x === 'string');
      const namespaces = arr(source.namespaces).filter((x): x is string => typeof x === 'string');
      if (principals.length && !principals.some((p) => principalMatches(p, principal))) return false;
      // A source's namespaces are the caller's own: the `ns/<namespace>` of its principal (the gateway's is istio-ingress).
      if (namespaces.length && !namespaces.includes(principal.split('/')[2]!)) return false;
      return principals.length > 0 || namespaces.length > 0 || Object.keys(source).length === 0;
    });
    const to = arr(rule.to).filter(isObj);
    const toOk = to.length === 0 || to.some((t) => {
      const op = obj(t.operation);
      const methods = arr(op.methods).filter((x): x is string => typeof x === 'string');
      const paths = arr(op.paths).filter((x): x is string => typeof x === 'string');
      // Istio matches ports against the destination port: every edge here is a call on the services' 8080.
      const ports = arr(op.ports).map((x) => String(x));
      return (methods.length === 0 || methods.includes('GET')) && (paths.length === 0 || paths.some((p) => principalMatches(p, path.split('?')[0]!))) && (ports.length === 0 || ports.includes(SERVICE_TARGET_PORT));
    });
    return fromOk && toOk;
  };
  const allowedFor = (principal: string, to: string, path: string): boolean => {
    const mine = policies.filter((p) => appliesTo(p, to));
    const denied = mine.filter((p) => str(spec(p).action) === 'DENY').some((p) => arr(spec(p).rules).filter(isObj).some((r) => ruleAllows(r, principal, path)));
    const allowPolicies = mine.filter((p) => (str(spec(p).action) ?? 'ALLOW') === 'ALLOW');
    return !denied && (allowPolicies.length === 0 || allowPolicies.some((p) => arr(spec(p).rules).filter(isObj).some((r) => ruleAllows(r, principal, path))));
  };
  const edges: AuthzEdge[] = [];
  for (const from of sources) {
    const principal = `cluster.local/ns/${ns}/sa/${from}`;
    for (const to of apps) {
      if (to === from) continue;
      const path = SERVICE_PROBES[to]!;
      edges.push({ from, to, allowed: allowedFor(principal, to, path), path });
    }
  }
  // The gateway's own identity, as the policies name it: a service it may not call proves the policies live.
  const gatewayPrincipal = policies
    .flatMap((p) => arr(spec(p).rules).filter(isObj).flatMap((r) => arr(r.from).filter(isObj).flatMap((f) => arr(obj(f.source).principals))))
    .find((x): x is string => typeof x === 'string' && x.startsWith('cluster.local/ns/istio-ingress/')) ?? 'cluster.local/ns/istio-ingress/sa/istio-ingress';
  const gatewayDenied = apps
    .map((to) => ({ service: to, path: GATEWAY_PROBES[`/api/${to}`] ?? '' }))
    .find((x) => x.path !== '' && !allowedFor(gatewayPrincipal, x.service, SERVICE_PROBES[x.service]!));
  if (!edges.some((e) => e.allowed) || !edges.some((e) => !e.allowed)) {
    throw new ExpectationError(`overlays/authz: the policies give ${edges.some((e) => e.allowed) ? 'no denied' : 'no allowed'} edge between the shop's service accounts`);
  }
  return { scenario: 'authz', namespace: ns, sources, edges, ...(gatewayDenied ? { gatewayDenied } : {}) };
}

function tls(objects: readonly KubeObject[]): TlsExpectations {
  for (const gw of ofKind(objects, 'Gateway')) {
    const servers = arr(spec(gw).servers).filter(isObj);
    const https = servers.find((s) => str(obj(s.port).protocol) === 'HTTPS');
    if (!https) continue;
    const host = need(str(arr(https.hosts)[0]), where('tls', gw, 'the HTTPS server has no hosts')).replace(/^[^/]*\//, '');
    const secretName = need(str(obj(https.tls).credentialName), where('tls', gw, 'the HTTPS server has no tls.credentialName'));
    const httpsRedirect = servers.some((s) => str(obj(s.port).protocol) === 'HTTP' && obj(s.tls).httpsRedirect === true);
    const gatewayNamespace = gw.metadata.namespace ?? 'istio-ingress';
    // The cert-manager Certificate that writes the gateway's secret: the runner waits for it to be Ready.
    const certificate = ofKind(objects, 'Certificate').find((c) => str(spec(c).secretName) === secretName && (c.metadata.namespace ?? gatewayNamespace) === gatewayNamespace)?.metadata.name;
    return { scenario: 'tls', host, secretName, gatewayNamespace, httpsRedirect, ...(certificate ? { certificate } : {}) };
  }
  throw new ExpectationError('overlays/tls: no Gateway serves HTTPS');
}

function findKey(value: unknown, key: string, depth = 0): Obj | undefined {
  if (depth > 30) return undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = findKey(v, key, depth + 1);
      if (found) return found;
    }
  } else if (isObj(value)) {
    if (isObj(value[key])) return value[key] as Obj;
    for (const v of Object.values(value)) {
      const found = findKey(v, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function ratelimit(objects: readonly KubeObject[]): RatelimitExpectations {
  for (const o of objects) {
    const bucket = findKey(o.spec, 'token_bucket') ?? findKey(o.spec, 'tokenBucket');
    if (!bucket) continue;
    const maxTokens = need(num(bucket.max_tokens ?? bucket.maxTokens), where('ratelimit', o, 'token_bucket.max_tokens is missing'));
    const tokensPerFill = num(bucket.tokens_per_fill ?? bucket.tokensPerFill) ?? 1;
    const fillIntervalMs = need(durationMs(bucket.fill_interval ?? bucket.fillInterval), where('ratelimit', o, 'token_bucket.fill_interval is missing'));
    const labels = obj(obj(spec(o).workloadSelector).labels);
    const app = str(labels.app);
    // Each pod's sidecar keeps its own bucket, and only the pods the gateway's route reaches see load.
    const route = app ? routeToService(objects, 'gateway', app) : undefined;
    const reached = route ? sharesOf(route.destinations).flatMap(({ d }) => deploymentsOfDestination(objects, d)) : app ? deploymentsOf(objects, app) : [];
    const selected = reached.filter((x) => Object.entries(labels).every(([k, v]) => templateLabels(x.o)[k] === v));
    const instances = Math.max(1, selected.reduce((n, x) => n + x.replicas, 0));
    return {
      scenario: 'ratelimit',
      service: app ?? 'products',
      maxTokens,
      tokensPerFill,
      fillIntervalMs,
      instances,
      limitPerSecond: (tokensPerFill / (fillIntervalMs / 1000)) * instances,
    };
  }
  throw new ExpectationError('overlays/ratelimit: no object configures a token bucket');
}

function lb(objects: readonly KubeObject[]): LbExpectations {
  for (const dr of ofKind(objects, 'DestinationRule')) {
    const policies = [obj(spec(dr).trafficPolicy), ...arr(spec(dr).subsets).filter(isObj).map((s) => obj(s.trafficPolicy))];
    const header = policies.map((p) => str(obj(obj(p.loadBalancer).consistentHash).httpHeaderName)).find((h) => h !== undefined);
    if (!header) continue;
    const service = shortHost(str(spec(dr).host) ?? dr.metadata.name);
    // The hash spreads users over the pods of the subsets the gateway's route sends to.
    const route = routeToService(objects, 'gateway', service);
    const replicas = route ? podsReceiving(objects, route.destinations) : replicasOf(objects, service);
    return { scenario: 'lb', service, hashHeader: header.toLowerCase(), replicas, users: 20 };
  }
  throw new ExpectationError('overlays/lb: no DestinationRule hashes on an HTTP header');
}

const DERIVE: Record<ScenarioName, (objects: readonly KubeObject[]) => Expectations> = {
  baseline, canary, ab, fault, timeout, retries, breaker, mirror, mtls, jwt, authz, tls, ratelimit, lb,
};

/** The expectations of `scenario`, read from its rendered overlay. Throws ExpectationError naming what is missing. */
export function deriveExpectations(scenario: ScenarioName, objects: readonly KubeObject[]): Expectations {
  return DERIVE[scenario](objects);
}

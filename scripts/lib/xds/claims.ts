// Each scenario's claims, checked in the Envoy config istiod generated for the overlay: the calls to
// simulate, then one row per claim (what the overlay promises — the runner's own derived
// expectations — against what the generated config says).
import type { KubeObject } from '../kube/render.ts';
import { GATEWAY_RELEASE } from '../istio/names.ts';
import { ORDER_PATH, PRODUCT_PATH, SERVICE_PROBES } from '../../../loadtests/lib/endpoints.ts';
import type { Expectations } from '../../../loadtests/lib/expectations.ts';
import { SHOP_HOST } from '../scenario/readiness.ts';
import type { EnvoyJson, XdsCall, XdsPod, XdsResult } from './generate.ts';
import { clusterOf, durationMs, fraction, httpFilterChains, inboundHttpFilters, listenerOf, matchedRoute, podsBehind, proxyOf, routeClusters, subsetOfCluster, typedContent } from './envoy.ts';
import { rbacAllows } from './rbac.ts';

export interface ClaimRow {
  claim: string;
  promised: string;
  generated: string;
  pass: boolean;
}

/** The key id of the JWKS shopmesh-xds serves when istiod fetches a jwksUri (tools/istio/xdsproof/jwks.go). */
export const SERVED_JWKS_KID = 'shopmesh-xds-proof';

const SHOP = 'shop';
const PORT = 8080;
/** The service k6 calls in the timeout and retries scenarios; its sidecar's routes carry the claim. */
const EAST_WEST_CALLER = 'orders';

type Obj = Record<string, unknown>;
const templateLabels = (d: KubeObject): Obj => ((((d.spec as Obj | undefined)?.template as Obj | undefined)?.metadata as Obj | undefined)?.labels as Obj | undefined) ?? {};

/** The Deployment whose proxy stands for an app (its v1, else its first). */
export function deploymentFor(objects: readonly KubeObject[], app: string): string {
  const ds = objects.filter((o) => o.kind === 'Deployment' && templateLabels(o).app === app);
  return (ds.find((d) => templateLabels(d).version === 'v1') ?? ds[0])?.metadata.name ?? `${app}-v1`;
}

function envOf(objects: readonly KubeObject[], deployment: string): Record<string, string> {
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === deployment);
  const containers = ((((d?.spec as Obj | undefined)?.template as Obj | undefined)?.spec as Obj | undefined)?.containers as Obj[] | undefined) ?? [];
  const env: Record<string, string> = {};
  for (const c of containers) for (const e of (c.env as Obj[] | undefined) ?? []) if (typeof e.value === 'string') env[String(e.name)] = e.value;
  return env;
}

const gw = (path: string, headers?: Record<string, string>): XdsCall => ({ proxy: GATEWAY_RELEASE, mode: 'gateway', port: 80, host: SHOP_HOST, path, ...(headers ? { headers } : {}) });
const mesh = (objects: readonly KubeObject[], from: string, to: string): XdsCall => ({
  proxy: deploymentFor(objects, from), mode: 'outbound', service: `${to}.${SHOP}`, port: PORT, host: `${to}:${PORT}`, path: (SERVICE_PROBES[to] ?? '/').split('?')[0],
});

/** The calls each scenario's claims are read from. */
export function callsFor(e: Expectations, objects: readonly KubeObject[]): XdsCall[] {
  switch (e.scenario) {
    case 'baseline':
      return e.routes.map((r) => gw(r.path));
    case 'ab':
      return [gw(PRODUCT_PATH, { [e.header]: e.value }), gw(PRODUCT_PATH)];
    case 'timeout':
      return e.routeService === EAST_WEST_CALLER ? [gw(ORDER_PATH)] : [mesh(objects, EAST_WEST_CALLER, e.routeService)];
    case 'retries':
      return [mesh(objects, EAST_WEST_CALLER, e.service)];
    case 'mtls':
      return objects
        .filter((o) => o.kind === 'Deployment' && (o.metadata.namespace ?? SHOP) === e.meshNamespace)
        .flatMap((d) => (['plaintext', 'mtls'] as const).map((tls): XdsCall => ({ proxy: d.metadata.name, mode: 'inbound', port: PORT, host: `${String(templateLabels(d).app)}:${PORT}`, path: '/', tls })));
    case 'jwt':
      return [gw(e.path)];
    case 'authz':
      return [];
    case 'tls':
      return [{ proxy: GATEWAY_RELEASE, mode: 'gateway', port: 443, host: e.host, path: PRODUCT_PATH, tls: 'tls' }, { ...gw(PRODUCT_PATH), host: e.host }];
    default:
      return [gw(PRODUCT_PATH)];
  }
}

const show = (v: unknown): string => (v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));
const same = (a: number | undefined, b: number | undefined): boolean => a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9;
const row = (claim: string, promised: unknown, generated: unknown, pass: boolean): ClaimRow => ({ claim, promised: show(promised), generated: show(generated), pass });

function describeCall(c: XdsCall): string {
  const h = c.headers ? ` ${Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`).join(', ')}` : '';
  if (c.mode === 'gateway') return `gateway ${c.tls === 'tls' ? 'https' : 'http'}://${c.host}${c.path ?? ''}${h}`;
  if (c.mode === 'outbound') return `${c.proxy} → ${c.service}${c.path ?? ''}${h}`;
  return `${c.tls ?? 'plaintext'} into ${c.proxy}:${c.port}`;
}

/** Where a call went: its route, clusters and the pods behind each. */
function landing(r: XdsResult, i: number): { label: string; route?: EnvoyJson; clusters: { name: string; weight: number; pods: XdsPod[] }[]; error?: string } {
  const call = r.calls[i];
  if (!call) return { label: '(no call)', clusters: [], error: 'not simulated' };
  const proxy = proxyOf(r, call.call.proxy);
  const route = matchedRoute(r, call);
  const clusters = routeClusters(route).map((c) => ({ ...c, pods: proxy ? podsBehind(r, proxy, c.name) : [] }));
  return { label: describeCall(call.call), ...(route ? { route } : {}), clusters, ...(call.error ? { error: call.error } : {}) };
}

const podsText = (cs: { name: string; pods: XdsPod[] }[]): string => cs.map((c) => `${subsetOfCluster(c.name) || c.name.split('|')[3]}: ${c.pods.length} pod(s)`).join(', ') || 'no cluster';
const totalWeight = (cs: { weight: number }[]): number => cs.reduce((a, c) => a + c.weight, 0) || 1;

function hasPods(l: ReturnType<typeof landing>): ClaimRow {
  return row(`${l.label}: every destination has pods`, '≥ 1 pod per subset that receives traffic', l.error ?? podsText(l.clusters), !l.error && l.clusters.length > 0 && l.clusters.every((c) => c.pods.length > 0));
}

function httpFilter(filters: EnvoyJson[], name: string): EnvoyJson | undefined {
  return typedContent(filters.find((f) => f.name === name)?.typed_config as EnvoyJson | undefined);
}

/** One row per claim; a row fails when the generated config does not carry what the overlay promises. */
export function checkClaims(e: Expectations, r: XdsResult, objects: readonly KubeObject[]): ClaimRow[] {
  if (r.error) return [row('istiod generates the config', 'no error', r.error, false)];
  const rows: ClaimRow[] = [];
  const gateway = proxyOf(r, GATEWAY_RELEASE);
  switch (e.scenario) {
    case 'baseline':
      e.routes.forEach((_, i) => rows.push(hasPods(landing(r, i))));
      break;
    case 'canary': {
      const l = landing(r, 0);
      const generated: Record<string, number> = {};
      for (const c of l.clusters) generated[subsetOfCluster(c.name)] = (generated[subsetOfCluster(c.name)] ?? 0) + c.weight;
      const total = totalWeight(l.clusters);
      const promisedTotal = Object.values(e.weights).reduce((a, b) => a + b, 0) || 1;
      rows.push(row(`${l.label}: weighted clusters`, e.weights, l.error ?? generated, Object.keys({ ...e.weights, ...generated }).every((k) => same((e.weights[k] ?? 0) / promisedTotal, (generated[k] ?? 0) / total))));
      rows.push(row(`share of ${e.version}`, e.share, (generated[e.version] ?? 0) / total, same(e.share, (generated[e.version] ?? 0) / total)));
      rows.push(hasPods(l));
      break;
    }
    case 'ab': {
      for (const [i, want] of [[0, e.matchVersion], [1, e.defaultVersion]] as const) {
        const l = landing(r, i);
        const got = l.clusters.map((c) => subsetOfCluster(c.name));
        rows.push(row(`${l.label}: subset`, want, l.error ?? got.join(', '), got.length === 1 && got[0] === want));
        rows.push(hasPods(l));
      }
      break;
    }
    case 'fault': {
      const l = landing(r, 0);
      const f = (l.route?.typed_per_filter_config as EnvoyJson | undefined)?.['envoy.filters.http.fault'] as EnvoyJson | undefined;
      const delay = f?.delay as EnvoyJson | undefined;
      const abort = f?.abort as EnvoyJson | undefined;
      rows.push(row(`${l.label}: fault filter on the route the gateway uses`, 'present', l.error ?? (f ? 'present' : 'none'), !!f));
      if (e.delay) {
        rows.push(row('delay share', e.delay.share, fraction(delay?.percentage), same(e.delay.share, fraction(delay?.percentage))));
        rows.push(row('delay (ms)', e.delay.ms, durationMs(delay?.fixed_delay), same(e.delay.ms, durationMs(delay?.fixed_delay))));
      }
      if (e.abort) {
        rows.push(row('abort share', e.abort.share, fraction(abort?.percentage), same(e.abort.share, fraction(abort?.percentage))));
        rows.push(row('abort status', e.abort.status, abort?.http_status, Number(abort?.http_status) === e.abort.status));
      }
      break;
    }
    case 'timeout': {
      const l = landing(r, 0);
      const t = durationMs((l.route?.route as EnvoyJson | undefined)?.timeout);
      rows.push(row(`${l.label}: route timeout (ms)`, e.timeoutMs, l.error ?? t, same(e.timeoutMs, t)));
      // Which pods receive the calls comes from the endpoints; whether they are slow, from their Deployment.
      const total = totalWeight(l.clusters);
      const share = l.clusters.reduce((sum, c) => {
        const slow = c.pods.reduce((n, p) => {
          const env = envOf(objects, p.deployment);
          return n + (Number(env.LATENCY_MS ?? 0) > (t ?? Infinity) ? Number(env.LATENCY_PERCENT ?? 100) / 100 : 0);
        }, 0);
        return sum + (c.pods.length ? (c.weight / total) * (slow / c.pods.length) : 0);
      }, 0);
      rows.push(row('share of calls that time out (slow pods behind the routed clusters)', e.timeoutShare, Number(share.toFixed(6)), same(Number(e.timeoutShare.toFixed(6)), Number(share.toFixed(6)))));
      break;
    }
    case 'retries': {
      const l = landing(r, 0);
      const policy = (l.route?.route as EnvoyJson | undefined)?.retry_policy as EnvoyJson | undefined;
      const retryOn = String(policy?.retry_on ?? '').split(',').filter(Boolean);
      rows.push(row(`${l.label}: retry attempts`, e.attempts, l.error ?? policy?.num_retries ?? 0, Number(policy?.num_retries ?? 0) === e.attempts));
      rows.push(row('retryOn', e.retryOn, policy?.retry_on, e.retryOn.split(',').map((s) => s.trim()).every((p) => retryOn.includes(p))));
      if (e.perTryTimeoutMs !== undefined) rows.push(row('perTryTimeout (ms)', e.perTryTimeoutMs, durationMs(policy?.per_try_timeout), same(e.perTryTimeoutMs, durationMs(policy?.per_try_timeout))));
      const pods = l.clusters.flatMap((c) => c.pods);
      const flaky = pods.length ? pods.reduce((n, p) => n + Number(envOf(objects, p.deployment).ERROR_PERCENT ?? 0) / 100, 0) / pods.length : undefined;
      rows.push(row(`error share of the ${e.service} pods that receive the calls`, e.errorShare, flaky, same(e.errorShare, flaky)));
      break;
    }
    case 'breaker': {
      const l = landing(r, 0);
      for (const c of l.clusters) {
        const cluster = gateway ? clusterOf(gateway, c.name) : undefined;
        const th = ((cluster?.circuit_breakers as EnvoyJson | undefined)?.thresholds as EnvoyJson[] | undefined)?.[0];
        const perConn = cluster?.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']?.common_http_protocol_options?.max_requests_per_connection ?? cluster?.max_requests_per_connection;
        const od = cluster?.outlier_detection as EnvoyJson | undefined;
        const sub = subsetOfCluster(c.name) || 'service';
        rows.push(row(`${sub}: maxConnections`, e.pool.maxConnections, th?.max_connections, Number(th?.max_connections) === e.pool.maxConnections));
        rows.push(row(`${sub}: http1MaxPendingRequests`, e.pool.http1MaxPendingRequests, th?.max_pending_requests, Number(th?.max_pending_requests) === e.pool.http1MaxPendingRequests));
        if (e.pool.maxRequestsPerConnection) rows.push(row(`${sub}: maxRequestsPerConnection`, e.pool.maxRequestsPerConnection, perConn, Number(perConn) === e.pool.maxRequestsPerConnection));
        rows.push(row(`${sub}: outlier consecutive 5xx`, e.outlier.consecutive5xxErrors, od?.consecutive_5xx, Number(od?.consecutive_5xx) === e.outlier.consecutive5xxErrors));
        rows.push(row(`${sub}: outlier interval (ms)`, e.outlier.intervalMs, durationMs(od?.interval), same(e.outlier.intervalMs, durationMs(od?.interval))));
        rows.push(row(`${sub}: base ejection time (ms)`, e.outlier.baseEjectionTimeMs, durationMs(od?.base_ejection_time), same(e.outlier.baseEjectionTimeMs, durationMs(od?.base_ejection_time))));
        rows.push(row(`${sub}: max ejection %`, e.outlier.maxEjectionPercent, od?.max_ejection_percent, Number(od?.max_ejection_percent) === e.outlier.maxEjectionPercent));
      }
      const pods = l.clusters.flatMap((c) => c.pods);
      const failing = pods.filter((p) => envOf(objects, p.deployment).ALWAYS_FAIL === 'true').length;
      rows.push(row(`${l.label}: pods behind the route`, e.replicas, l.error ?? pods.length, pods.length === e.replicas));
      rows.push(row('always-failing pods behind the route', e.failingReplicas, failing, failing === e.failingReplicas));
      break;
    }
    case 'mirror': {
      const l = landing(r, 0);
      const mirrorPolicy = ((l.route?.route as EnvoyJson | undefined)?.request_mirror_policies as EnvoyJson[] | undefined)?.[0];
      const mirrorShare = mirrorPolicy ? (mirrorPolicy.runtime_fraction ? fraction(mirrorPolicy.runtime_fraction.default_value) : 1) : undefined;
      const served = l.clusters.map((c) => subsetOfCluster(c.name));
      rows.push(row(`${l.label}: served by`, e.routeVersion, l.error ?? served.join(', '), served.length === 1 && served[0] === e.routeVersion));
      rows.push(row('mirrored to', e.mirrorVersion, mirrorPolicy ? subsetOfCluster(String(mirrorPolicy.cluster)) : undefined, !!mirrorPolicy && subsetOfCluster(String(mirrorPolicy.cluster)) === e.mirrorVersion));
      rows.push(row('mirrored share', e.mirrorShare, mirrorShare, same(e.mirrorShare, mirrorShare)));
      const mirrorPods = mirrorPolicy && gateway ? podsBehind(r, gateway, String(mirrorPolicy.cluster)).length : 0;
      rows.push(row('the mirror subset has pods', '≥ 1', mirrorPods, mirrorPods > 0));
      rows.push(hasPods(l));
      break;
    }
    case 'mtls': {
      const byProxy = new Map<string, string[]>();
      for (const c of r.calls) byProxy.set(c.call.proxy, [...(byProxy.get(c.call.proxy) ?? []), `${c.call.tls}: ${c.error ?? `accepted (${c.filterChain})`}`]);
      for (const c of r.calls.filter((x) => x.call.tls === 'plaintext')) {
        const m = r.calls.find((x) => x.call.proxy === c.call.proxy && x.call.tls === 'mtls');
        const strict = e.legacyShare === 0;
        const pass = strict ? !!c.error && !!m && !m.error : !c.error;
        rows.push(row(`${c.call.proxy} inbound :${c.call.port}`, strict ? 'plaintext refused, mTLS accepted' : 'plaintext accepted', byProxy.get(c.call.proxy)!.join('; '), pass));
      }
      if (rows.length === 0) rows.push(row('shop workloads', 'at least one', 'none', false));
      break;
    }
    case 'jwt': {
      const filters = httpFilterChains(gateway ? listenerOf(gateway, '0.0.0.0_80') : undefined).flatMap((c) => c.filters);
      const jwtAuthn = httpFilter(filters, 'envoy.filters.http.jwt_authn');
      const provider = Object.values((jwtAuthn?.providers as Record<string, EnvoyJson> | undefined) ?? {}).find((p) => p.issuer === e.issuer);
      rows.push(row('gateway jwt_authn provider', `issuer ${e.issuer}`, provider ? `issuer ${provider.issuer}` : 'none', !!provider));
      const inlined = String(provider?.local_jwks?.inline_string ?? '').includes(SERVED_JWKS_KID);
      rows.push(row('JWKS istiod fetched and inlined', e.jwksUri, `${r.jwksFetches.join(', ') || 'nothing fetched'}${inlined ? ' (keys inlined)' : ''}`, r.jwksFetches.includes(e.jwksUri) && inlined));
      const rbac = filters.map((f) => (f.name === 'envoy.filters.http.rbac' ? typedContent(f.typed_config as EnvoyJson) : undefined)).filter((x): x is EnvoyJson => !!x);
      const denies = rbac.filter((x) => x.rules?.action === 'DENY');
      const denied = e.protectedPaths.every((path) => denies.some((x) => rbacAllows(x.rules, { path: path.replace(/\*$/, 'x'), method: 'GET', port: 80 })));
      const admitted = e.protectedPaths.every((path) => !denies.some((x) => rbacAllows(x.rules, { path: path.replace(/\*$/, 'x'), method: 'GET', port: 80, requestPrincipal: `${e.issuer}/alice` })));
      rows.push(row('gateway RBAC: no principal on the protected paths', `DENY on ${e.protectedPaths.join(', ')}`, denied ? 'DENY' : 'not denied', denied));
      rows.push(row('gateway RBAC: a principal passes', 'not denied', admitted ? 'not denied' : 'DENY', admitted));
      rows.push(hasPods(landing(r, 0)));
      break;
    }
    case 'authz': {
      for (const edge of e.edges) {
        const target = proxyOf(r, deploymentFor(objects, edge.to));
        const chains = target ? inboundHttpFilters(target, PORT) : [];
        const rbac = (chains[0] ?? []).filter((f) => f.name === 'envoy.filters.http.rbac').map((f) => typedContent(f.typed_config as EnvoyJson)?.rules as EnvoyJson | undefined).filter((x): x is EnvoyJson => !!x);
        const request = { principal: `spiffe://cluster.local/ns/${e.namespace}/sa/${edge.from}`, path: edge.path.split('?')[0]!, method: 'GET', port: PORT };
        const denied = rbac.some((x) => x.action === 'DENY' && rbacAllows(x, request));
        const allows = rbac.filter((x) => (x.action ?? 'ALLOW') === 'ALLOW');
        const allowed = !!target && chains.length > 0 && !denied && allows.every((x) => rbacAllows(x, request));
        rows.push(row(`${edge.from} → ${edge.to}`, edge.allowed ? 'allow' : 'deny', target ? (allowed ? 'allow' : 'deny') : 'no proxy', allowed === edge.allowed));
      }
      break;
    }
    case 'tls': {
      const https = gateway?.listeners.find((l) => l.address?.socket_address?.port_value === 443);
      const sds = ((https?.filter_chains as EnvoyJson[] | undefined) ?? []).flatMap((fc) => (typedContent(fc.transport_socket?.typed_config)?.common_tls_context?.tls_certificate_sds_secret_configs as EnvoyJson[] | undefined) ?? []).map((s) => String(s.name));
      rows.push(row('gateway HTTPS listener secret (SDS)', `kubernetes://${e.secretName}`, sds.join(', ') || 'no HTTPS listener', sds.includes(`kubernetes://${e.secretName}`)));
      const l = landing(r, 0);
      rows.push(row(`${l.label}: routed`, 'a cluster with pods', l.error ?? podsText(l.clusters), !l.error && l.clusters.length > 0 && l.clusters.every((c) => c.pods.length > 0)));
      const plain = r.calls[1];
      rows.push(row(`${plain ? describeCall(plain.call) : 'http'}: redirect`, e.httpsRedirect ? '301 to https' : 'served', plain?.error ?? 'served', e.httpsRedirect ? /tls required, sending 301/.test(plain?.error ?? '') : !plain?.error));
      break;
    }
    case 'ratelimit': {
      const l = landing(r, 0);
      const pods = l.clusters.flatMap((c) => c.pods);
      let buckets = 0;
      for (const p of pods) {
        const proxy = proxyOf(r, p.deployment);
        const bucket = (proxy ? inboundHttpFilters(proxy, PORT) : []).map((fs) => httpFilter(fs, 'envoy.filters.http.local_ratelimit')?.token_bucket as EnvoyJson | undefined).find((b) => b);
        const got = bucket ? { maxTokens: Number(bucket.max_tokens), tokensPerFill: Number(bucket.tokens_per_fill ?? 1), fillIntervalMs: durationMs(bucket.fill_interval) } : undefined;
        const want = { maxTokens: e.maxTokens, tokensPerFill: e.tokensPerFill, fillIntervalMs: e.fillIntervalMs };
        if (got) buckets += 1;
        rows.push(row(`${p.name} inbound local_ratelimit bucket`, want, got, !!got && got.maxTokens === want.maxTokens && got.tokensPerFill === want.tokensPerFill && same(got.fillIntervalMs, want.fillIntervalMs)));
      }
      rows.push(row(`${l.label}: pods that receive the load and keep a bucket`, e.instances, l.error ?? buckets, buckets === e.instances));
      break;
    }
    case 'lb': {
      const l = landing(r, 0);
      const hash = ((l.route?.route as EnvoyJson | undefined)?.hash_policy as EnvoyJson[] | undefined)?.map((h) => h.header?.header_name).filter(Boolean) ?? [];
      rows.push(row(`${l.label}: hash policy header`, e.hashHeader, l.error ?? (hash.join(', ') || 'none'), hash.includes(e.hashHeader)));
      for (const c of l.clusters) {
        const policy = gateway ? clusterOf(gateway, c.name)?.lb_policy : undefined;
        rows.push(row(`${subsetOfCluster(c.name) || 'service'}: consistent-hash load balancer`, 'RING_HASH or MAGLEV', policy ?? 'ROUND_ROBIN', policy === 'RING_HASH' || policy === 'MAGLEV'));
      }
      const pods = l.clusters.reduce((n, c) => n + c.pods.length, 0);
      rows.push(row('pods the users are hashed over', e.replicas, pods, pods === e.replicas));
      break;
    }
  }
  return rows;
}

// Reading the Envoy config istiod generated (JSON with proto field names): where a simulated call
// landed, which pods sit behind a cluster, which HTTP filters a listener runs.
import type { EnvoyJson, XdsCallResult, XdsPod, XdsProxy, XdsResult } from './generate.ts';

const HCM = 'envoy.filters.network.http_connection_manager';

export function proxyOf(result: XdsResult, deployment: string): XdsProxy | undefined {
  return result.proxies.find((p) => p.deployment === deployment);
}

/** The route a simulated call matched, from the proxy that made it. */
export function matchedRoute(result: XdsResult, call: XdsCallResult): EnvoyJson | undefined {
  const proxy = proxyOf(result, call.call.proxy);
  if (!proxy || call.routeIndex < 0) return undefined;
  const rc = proxy.routes.find((r) => r.name === call.routeConfig);
  const vh = (rc?.virtual_hosts as EnvoyJson[] | undefined)?.find((v) => v.name === call.virtualHost);
  return (vh?.routes as EnvoyJson[] | undefined)?.[call.routeIndex];
}

/** A route's destination clusters with their weights (a single cluster weighs 100). */
export function routeClusters(route: EnvoyJson | undefined): { name: string; weight: number }[] {
  const action = route?.route as EnvoyJson | undefined;
  if (!action) return [];
  const weighted = (action.weighted_clusters as EnvoyJson | undefined)?.clusters as EnvoyJson[] | undefined;
  if (weighted) return weighted.map((c) => ({ name: String(c.name), weight: Number(c.weight ?? 0) }));
  return action.cluster ? [{ name: String(action.cluster), weight: 100 }] : [];
}

/** `outbound|8080|v2|products.shop.svc.cluster.local` → `v2` ('' for the whole service). */
export function subsetOfCluster(name: string): string {
  return name.split('|')[2] ?? '';
}

/** The pods behind an EDS cluster, from the proxy's endpoints. */
export function podsBehind(result: XdsResult, proxy: XdsProxy, cluster: string): XdsPod[] {
  const cla = proxy.endpoints.find((e) => e.cluster_name === cluster);
  const ips = ((cla?.endpoints as EnvoyJson[] | undefined) ?? []).flatMap((l) => ((l.lb_endpoints as EnvoyJson[] | undefined) ?? []).map((e) => String(e.endpoint?.address?.socket_address?.address ?? '')));
  return ips.map((ip) => result.pods.find((p) => p.ip === ip) ?? { name: `(unknown ${ip})`, namespace: '', deployment: '', ip, labels: {}, serviceAccount: '', injected: false, gateway: false });
}

export function clusterOf(proxy: XdsProxy, name: string): EnvoyJson | undefined {
  return proxy.clusters.find((c) => c.name === name);
}

/** Envoy's FractionalPercent as a share (0..1). */
export function fraction(p: EnvoyJson | undefined): number | undefined {
  if (!p) return undefined;
  const denominator = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[String(p.denominator ?? 'HUNDRED')] ?? 100;
  return Number(p.numerator ?? 0) / denominator;
}

/** A protobuf JSON duration (`0.500s`) in milliseconds. */
export function durationMs(d: unknown): number | undefined {
  if (typeof d !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(d);
  return m ? Math.round(Number(m[1]) * 1000 * 1000) / 1000 : undefined;
}

/** A typed_config's content, unwrapping the TypedStruct an EnvoyFilter may carry. */
export function typedContent(tc: EnvoyJson | undefined): EnvoyJson | undefined {
  if (!tc) return undefined;
  return String(tc['@type'] ?? '').endsWith('udpa.type.v1.TypedStruct') || String(tc['@type'] ?? '').endsWith('xds.type.v3.TypedStruct') ? (tc.value as EnvoyJson) : tc;
}

/** The HTTP filters of a listener's HTTP connection managers, filter chain by filter chain. */
export function httpFilterChains(listener: EnvoyJson | undefined): { chain: EnvoyJson; filters: EnvoyJson[] }[] {
  return ((listener?.filter_chains as EnvoyJson[] | undefined) ?? []).flatMap((chain) =>
    ((chain.filters as EnvoyJson[] | undefined) ?? [])
      .filter((f) => f.name === HCM)
      .map((f) => ({ chain, filters: ((f.typed_config as EnvoyJson | undefined)?.http_filters as EnvoyJson[] | undefined) ?? [] })),
  );
}

export function listenerOf(proxy: XdsProxy, name: string): EnvoyJson | undefined {
  return proxy.listeners.find((l) => l.name === name);
}

/** The HTTP filters a sidecar runs on inbound traffic to `port` (the virtualInbound chains for it). */
export function inboundHttpFilters(proxy: XdsProxy, port: number): EnvoyJson[][] {
  return httpFilterChains(listenerOf(proxy, 'virtualInbound'))
    .filter(({ chain }) => Number(chain.filter_chain_match?.destination_port ?? 0) === port)
    .map(({ filters }) => filters);
}

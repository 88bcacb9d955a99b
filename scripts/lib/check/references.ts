// Cross-reference rules in the spirit of `istioctl analyze`: every name the mesh config uses
// must point at something this overlay renders.
import type { KubeObject } from '../kube/render.ts';
import type { FindingSink } from './finding.ts';
import { field, namespaceOf, resolveHost, selects, type Labels, type ObjectIndex } from './objects.ts';

interface Destination {
  host?: string;
  subset?: string;
}
interface RouteDestination {
  destination?: Destination;
  weight?: number;
}
interface HttpRoute {
  match?: { gateways?: string[] }[];
  route?: RouteDestination[];
  mirror?: Destination;
  mirrors?: { destination?: Destination }[];
}

/** Istio's root namespace: policies there apply mesh-wide. */
const ROOT_NAMESPACE = 'istio-system';

export function checkReferences(index: ObjectIndex, sink: FindingSink): void {
  const subsets = definedSubsets(index);
  for (const dr of index.kind('DestinationRule')) checkDestinationRule(index, sink, dr);
  for (const vs of index.kind('VirtualService')) checkVirtualService(index, sink, vs, subsets);
  for (const gw of index.kind('Gateway')) checkGatewayCredentials(index, sink, gw);
  for (const kind of ['PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy', 'Telemetry']) {
    for (const policy of index.kind(kind)) checkSelector(index, sink, policy, 'spec.selector.matchLabels', field(policy, 'spec', 'selector', 'matchLabels') as Labels | undefined);
  }
  for (const kind of ['EnvoyFilter', 'Sidecar']) {
    for (const o of index.kind(kind)) checkSelector(index, sink, o, 'spec.workloadSelector.labels', field(o, 'spec', 'workloadSelector', 'labels') as Labels | undefined);
  }
  for (const ap of index.kind('AuthorizationPolicy')) checkPrincipals(index, sink, ap);
}

/** `ns/name` of a Service → subset names defined for it. */
function definedSubsets(index: ObjectIndex): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const dr of index.kind('DestinationRule')) {
    const host = field(dr, 'spec', 'host') as string | undefined;
    const ref = host ? resolveHost(host, namespaceOf(dr)) : null;
    if (!ref) continue;
    const key = `${ref.namespace}/${ref.name}`;
    const names = out.get(key) ?? new Set<string>();
    for (const s of (field(dr, 'spec', 'subsets') as { name?: string }[] | undefined) ?? []) if (s.name) names.add(s.name);
    out.set(key, names);
  }
  return out;
}

function checkDestinationRule(index: ObjectIndex, sink: FindingSink, dr: KubeObject): void {
  const host = field(dr, 'spec', 'host') as string | undefined;
  if (!host) return;
  const svc = index.service(host, namespaceOf(dr));
  if (!svc) {
    if (!index.isServiceEntryHost(host)) sink.error('ref/host', dr, 'spec.host', `"${host}" does not resolve to a Service or ServiceEntry in this overlay`);
    return;
  }
  const selector = field(svc, 'spec', 'selector') as Labels | undefined;
  const list = (field(dr, 'spec', 'subsets') as { name?: string; labels?: Labels }[] | undefined) ?? [];
  list.forEach((s, i) => {
    const pods = index.podsMatching(namespaceOf(svc), { ...(selector ?? {}), ...(s.labels ?? {}) });
    if (pods.length === 0) {
      sink.error('ref/subset-selects', dr, `spec.subsets[${i}].labels`, `of subset "${s.name}" select no pod template behind Service ${namespaceOf(svc)}/${svc.metadata.name} (${JSON.stringify(s.labels ?? {})})`);
    }
  });
}

function checkVirtualService(index: ObjectIndex, sink: FindingSink, vs: KubeObject, subsets: Map<string, Set<string>>): void {
  const ns = namespaceOf(vs);
  const gateways = (field(vs, 'spec', 'gateways') as string[] | undefined) ?? [];
  gateways.forEach((g, i) => checkGatewayRef(index, sink, vs, `spec.gateways[${i}]`, g));

  const checkDestination = (d: Destination | undefined, path: string) => {
    if (!d?.host) return;
    const svc = index.service(d.host, ns);
    if (!svc) {
      if (!index.isServiceEntryHost(d.host)) sink.error('ref/host', vs, `${path}.host`, `"${d.host}" does not resolve to a Service or ServiceEntry in this overlay`);
      return;
    }
    if (d.subset && !subsets.get(`${namespaceOf(svc)}/${svc.metadata.name}`)?.has(d.subset)) {
      sink.error('ref/subset', vs, `${path}.subset`, `"${d.subset}" is not defined by any DestinationRule for host ${svc.metadata.name}.${namespaceOf(svc)}`);
    }
  };

  for (const protocol of ['http', 'tcp', 'tls'] as const) {
    const routes = (field(vs, 'spec', protocol) as HttpRoute[] | undefined) ?? [];
    routes.forEach((r, i) => {
      const base = `spec.${protocol}[${i}]`;
      (r.match ?? []).forEach((m, j) => (m.gateways ?? []).forEach((g, k) => checkGatewayRef(index, sink, vs, `${base}.match[${j}].gateways[${k}]`, g)));
      const dests = r.route ?? [];
      dests.forEach((d, j) => checkDestination(d.destination, `${base}.route[${j}].destination`));
      checkDestination(r.mirror, `${base}.mirror`);
      (r.mirrors ?? []).forEach((m, j) => checkDestination(m.destination, `${base}.mirrors[${j}].destination`));
      // A mistyped weight is a schema finding already; sum only when every weight is a number.
      const typed = dests.every((d) => d.weight === undefined || typeof d.weight === 'number');
      if (typed && (dests.length > 1 || dests.some((d) => d.weight !== undefined))) {
        const sum = dests.reduce((acc, d) => acc + (d.weight ?? 0), 0);
        if (!(dests.length === 1 && dests[0]!.weight === undefined) && sum !== 100) {
          sink.error('ref/weights', vs, `${base}.route`, `weights add up to ${sum}, not 100 (${dests.map((d) => `${d.destination?.subset ?? d.destination?.host}=${d.weight ?? 0}`).join(', ')})`);
        }
      }
    });
  }

  if (gateways.length > 0 && !gateways.includes('mesh')) checkMeshCallers(index, sink, vs);
}

function checkGatewayRef(index: ObjectIndex, sink: FindingSink, vs: KubeObject, path: string, ref: string): void {
  if (ref === 'mesh') return;
  const [gwNs, gwName] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [namespaceOf(vs), ref];
  if (!index.find('Gateway', gwNs, gwName)) sink.error('ref/gateway', vs, path, `"${ref}" does not name a Gateway in this overlay (looked for ${gwNs}/${gwName})`);
}

/** A VirtualService bound only to gateways does nothing for calls inside the mesh (IST0140's cousin). */
function checkMeshCallers(index: ObjectIndex, sink: FindingSink, vs: KubeObject): void {
  const ns = namespaceOf(vs);
  const hosts = (field(vs, 'spec', 'hosts') as string[] | undefined) ?? [];
  for (const host of hosts) {
    const svc = index.service(host, ns);
    if (!svc) continue;
    const callers = index.templates.filter((t) =>
      [...(t.spec.containers ?? [])].some((c) =>
        (c.env ?? []).some((e) => {
          const m = /^https?:\/\/([^:/]+)/.exec(e.value ?? '');
          const target = m ? index.service(m[1]!, t.namespace) : null;
          return target === svc;
        }),
      ),
    );
    if (callers.length > 0) {
      sink.error(
        'ref/gateway-only',
        vs,
        'spec.gateways',
        `binds only to gateways, but ${callers.map((c) => `${c.obj.kind} ${c.obj.metadata.name}`).join(', ')} call${callers.length === 1 ? 's' : ''} "${host}" inside the mesh; add "mesh" or these rules skip them`,
      );
    }
  }
}

function checkGatewayCredentials(index: ObjectIndex, sink: FindingSink, gw: KubeObject): void {
  const ns = namespaceOf(gw);
  const servers = (field(gw, 'spec', 'servers') as { tls?: { mode?: string; credentialName?: string } }[] | undefined) ?? [];
  servers.forEach((s, i) => {
    const name = s.tls?.credentialName;
    if (!name) return;
    const fromCertificate = index.kind('Certificate').some((c) => namespaceOf(c) === ns && field(c, 'spec', 'secretName') === name);
    const secret = index.find('Secret', ns, name);
    if (!fromCertificate && !secret) {
      sink.error('ref/credential', gw, `spec.servers[${i}].tls.credentialName`, `"${name}" matches no Certificate secretName (or Secret) in namespace ${ns}, where the gateway reads it`);
    }
  });
}

function checkSelector(index: ObjectIndex, sink: FindingSink, o: KubeObject, path: string, labels: Labels | undefined): void {
  if (!labels || Object.keys(labels).length === 0) return;
  const ns = namespaceOf(o);
  const scope = ns === ROOT_NAMESPACE ? null : ns;
  if (index.podsMatching(scope, labels).length > 0) return;
  // The ingress gateway's pods come from Helm, but a Gateway rendered here declares their labels.
  const gatewayPods = index.kind('Gateway').some((gw) => (scope === null || namespaceOf(gw) === scope) && selects(labels, (field(gw, 'spec', 'selector') as Labels | undefined) ?? {}));
  if (gatewayPods) return;
  if (scope !== null && !index.namespacesWithPods().has(scope)) {
    // Pods installed outside the overlays (the Helm-installed gateway): nothing to compare with.
    sink.warning('ref/selector', o, path, `${JSON.stringify(labels)} can't be verified: this overlay renders no workloads in namespace ${ns}`);
    return;
  }
  sink.error('ref/selector', o, path, `${JSON.stringify(labels)} selects no workload in namespace ${ns}, so the ${o.kind} applies to nothing`);
}

/** `cluster.local/ns/<ns>/sa/<name>` principals must name a ServiceAccount when that namespace is rendered here. */
function checkPrincipals(index: ObjectIndex, sink: FindingSink, ap: KubeObject): void {
  const rendered = new Set(index.kind('ServiceAccount').map(namespaceOf));
  const rules = (field(ap, 'spec', 'rules') as { from?: { source?: { principals?: string[] } }[] }[] | undefined) ?? [];
  rules.forEach((r, i) =>
    (r.from ?? []).forEach((f, j) =>
      (f.source?.principals ?? []).forEach((p, k) => {
        const m = /^cluster\.local\/ns\/([^/]+)\/sa\/([^/*]+)$/.exec(p);
        if (!m || !rendered.has(m[1]!)) return;
        if (!index.find('ServiceAccount', m[1]!, m[2]!)) {
          sink.error('ref/principal', ap, `spec.rules[${i}].from[${j}].source.principals[${k}]`, `"${p}" names a ServiceAccount that this overlay does not render`);
        }
      }),
    ),
  );
}

// shopmesh's own rule, kept because istioctl analyze has no analyzer for it: a VirtualService bound
// only to gateways does nothing for calls from inside the mesh, so when a workload of this overlay
// calls that host (its upstream URL names the Service), the rules the scenario teaches are skipped.
import type { FindingSink } from './finding.ts';
import { field, namespaceOf, type ObjectIndex } from './objects.ts';

export function checkMeshCallers(index: ObjectIndex, sink: FindingSink): void {
  for (const vs of index.kind('VirtualService')) {
    const gateways = (field(vs, 'spec', 'gateways') as string[] | undefined) ?? [];
    if (gateways.length === 0 || gateways.includes('mesh')) continue;
    const ns = namespaceOf(vs);
    for (const host of (field(vs, 'spec', 'hosts') as string[] | undefined) ?? []) {
      const svc = index.service(host, ns);
      if (!svc) continue;
      const callers = index.templates.filter((t) =>
        (t.spec.containers ?? []).some((c) =>
          (c.env ?? []).some((e) => {
            const m = /^https?:\/\/([^:/]+)/.exec(e.value ?? '');
            return (m ? index.service(m[1]!, t.namespace) : null) === svc;
          }),
        ),
      );
      if (callers.length === 0) continue;
      sink.error(
        'mesh/gateway-only',
        vs,
        'spec.gateways',
        `binds only to gateways, but ${callers.map((c) => `${c.obj.kind} ${c.obj.metadata.name}`).join(', ')} call${callers.length === 1 ? 's' : ''} "${host}" inside the mesh; add "mesh" or these rules skip them`,
      );
    }
  }
}

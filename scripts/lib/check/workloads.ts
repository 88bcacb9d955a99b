// shopmesh's own workload rules: requests and limits, probes, app/version labels and one ServiceAccount
// per app. Kept here because neither istioctl analyze nor the API server checks them (Pod Security
// is judged by the real API server on the injected pods: see podsecurity.ts).
import type { FindingSink } from './finding.ts';
import { field, type Container, type Labels, type ObjectIndex, type PodTemplate } from './objects.ts';

const LABELLED_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export function checkWorkloads(index: ObjectIndex, sink: FindingSink): void {
  for (const t of index.templates) {
    checkResources(sink, t);
    if (t.longRunning) checkProbes(sink, t);
    if (LABELLED_KINDS.has(t.obj.kind)) checkLabels(sink, t);
  }
  checkServiceAccounts(index, sink);
}

function containers(t: PodTemplate): { c: Container; path: string }[] {
  return [
    ...(t.spec.initContainers ?? []).map((c, i) => ({ c, path: `${t.path}.spec.initContainers[${i}]` })),
    ...(t.spec.containers ?? []).map((c, i) => ({ c, path: `${t.path}.spec.containers[${i}]` })),
  ].map((x) => (t.path === 'spec' ? { ...x, path: x.path.replace('spec.spec.', 'spec.') } : x));
}

function podPath(t: PodTemplate): string {
  return t.path === 'spec' ? 'spec' : `${t.path}.spec`;
}

function checkResources(sink: FindingSink, t: PodTemplate): void {
  for (const { c, path } of containers(t)) {
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        if (c.resources?.[kind]?.[resource] === undefined) sink.error('workload/resources', t.obj, `${path}.resources.${kind}.${resource}`, 'is missing');
      }
    }
  }
}

function checkProbes(sink: FindingSink, t: PodTemplate): void {
  (t.spec.containers ?? []).forEach((c, i) => {
    const path = t.path === 'spec' ? `spec.containers[${i}]` : `${t.path}.spec.containers[${i}]`;
    if (!c.readinessProbe) sink.error('workload/probes', t.obj, `${path}.readinessProbe`, 'is missing');
    if (!c.livenessProbe) sink.error('workload/probes', t.obj, `${path}.livenessProbe`, 'is missing');
  });
}

function checkLabels(sink: FindingSink, t: PodTemplate): void {
  const selector = (field(t.obj, 'spec', 'selector', 'matchLabels') as Labels | undefined) ?? {};
  for (const key of ['app', 'version']) {
    if (!t.labels[key]) sink.error('workload/labels', t.obj, `${t.path}.metadata.labels.${key}`, 'is missing (Istio uses app and version for telemetry and subsets)');
    if (!selector[key]) sink.error('workload/labels', t.obj, `spec.selector.matchLabels.${key}`, 'is missing');
  }
}

function checkServiceAccounts(index: ObjectIndex, sink: FindingSink): void {
  const appsBySa = new Map<string, Set<string>>();
  for (const t of index.templates) {
    const sa = t.spec.serviceAccountName;
    const path = `${podPath(t)}.serviceAccountName`;
    if (!sa || sa === 'default') {
      sink.error('workload/service-account', t.obj, path, 'must name the workload\'s own ServiceAccount, not the namespace default');
      continue;
    }
    if (!index.find('ServiceAccount', t.namespace, sa)) sink.error('workload/service-account', t.obj, path, `"${sa}" is not a ServiceAccount rendered in namespace ${t.namespace}`);
    const app = t.labels.app;
    if (!app) continue;
    if (LABELLED_KINDS.has(t.obj.kind) && sa !== app) sink.error('workload/service-account', t.obj, path, `"${sa}" should be named after the app "${app}" (one ServiceAccount per app)`);
    const key = `${t.namespace}/${sa}`;
    appsBySa.set(key, (appsBySa.get(key) ?? new Set()).add(app));
  }
  for (const [key, apps] of appsBySa) {
    if (apps.size < 2) continue;
    const [ns, name] = key.split('/') as [string, string];
    sink.error('workload/service-account', index.find('ServiceAccount', ns, name) ?? null, '', `ServiceAccount ${key} is shared by apps ${[...apps].sort().join(', ')}; give each app its own identity`);
  }
}

// Look-ups over one overlay's rendered objects: services, pod templates, hosts, label selectors.
import type { KubeObject } from '../kube/render.ts';

export type Labels = Record<string, string>;

export interface Container {
  name?: string;
  image?: string;
  env?: { name: string; value?: string }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  securityContext?: SecurityContext;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}

export interface PodSpec {
  serviceAccountName?: string;
  securityContext?: SecurityContext;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { name: string; hostPath?: unknown }[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
}

export interface PodTemplate {
  obj: KubeObject;
  namespace: string;
  labels: Labels;
  annotations: Labels;
  spec: PodSpec;
  /** Field path of the pod template in the object, e.g. `spec.template`. */
  path: string;
  /** Pods it runs (1 for a DaemonSet, Job or Pod: the footprint of one node or one run). */
  replicas: number;
  longRunning: boolean;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

export function namespaceOf(o: KubeObject): string {
  return o.metadata.namespace ?? 'default';
}

function get(o: unknown, ...keys: string[]): unknown {
  let cur = o;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

type Template = { metadata?: { labels?: Labels; annotations?: Labels }; spec?: PodSpec };

export function podTemplates(objects: KubeObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const obj of objects) {
    const ns = namespaceOf(obj);
    if (WORKLOAD_KINDS.has(obj.kind) || obj.kind === 'Job') {
      const t = get(obj, 'spec', 'template') as Template | undefined;
      const replicas = obj.kind === 'Deployment' || obj.kind === 'StatefulSet' || obj.kind === 'ReplicaSet' ? Number(get(obj, 'spec', 'replicas') ?? 1) : 1;
      if (t) out.push({ obj, namespace: ns, labels: t.metadata?.labels ?? {}, annotations: t.metadata?.annotations ?? {}, spec: t.spec ?? {}, path: 'spec.template', replicas, longRunning: obj.kind !== 'Job' });
    } else if (obj.kind === 'CronJob') {
      const t = get(obj, 'spec', 'jobTemplate', 'spec', 'template') as Template | undefined;
      if (t) out.push({ obj, namespace: ns, labels: t.metadata?.labels ?? {}, annotations: t.metadata?.annotations ?? {}, spec: t.spec ?? {}, path: 'spec.jobTemplate.spec.template', replicas: 1, longRunning: false });
    } else if (obj.kind === 'Pod') {
      out.push({ obj, namespace: ns, labels: obj.metadata.labels ?? {}, annotations: obj.metadata.annotations ?? {}, spec: (obj.spec ?? {}) as PodSpec, path: 'spec', replicas: 1, longRunning: true });
    }
  }
  return out;
}

export function selects(selector: Labels | undefined, labels: Labels): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export interface ServiceRef {
  name: string;
  namespace: string;
}

/** Resolves a mesh host (`products`, `products.shop`, `products.shop.svc.cluster.local`) relative to a namespace. */
export function resolveHost(host: string, namespace: string): ServiceRef | null {
  const parts = host.split('.');
  if (parts.length === 1) return { name: host, namespace };
  if (host.endsWith('.svc.cluster.local') && parts.length === 5) return { name: parts[0]!, namespace: parts[1]! };
  if (host.endsWith('.svc') && parts.length === 3) return { name: parts[0]!, namespace: parts[1]! };
  if (parts.length === 2) return { name: parts[0]!, namespace: parts[1]! };
  return null;
}

export class ObjectIndex {
  readonly templates: PodTemplate[];
  private readonly byKind = new Map<string, KubeObject[]>();

  constructor(readonly objects: KubeObject[]) {
    this.templates = podTemplates(objects);
    for (const o of objects) this.byKind.set(o.kind, [...(this.byKind.get(o.kind) ?? []), o]);
  }

  kind(kind: string): KubeObject[] {
    return this.byKind.get(kind) ?? [];
  }

  find(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.kind(kind).find((o) => o.metadata.name === name && namespaceOf(o) === namespace);
  }

  /** The Service a host names, or null when the host is not a Service rendered here. */
  service(host: string, namespace: string): KubeObject | null {
    const ref = resolveHost(host, namespace);
    return (ref && this.find('Service', ref.namespace, ref.name)) ?? null;
  }

  /** ServiceEntry hosts stand for services outside the cluster. */
  isServiceEntryHost(host: string): boolean {
    return this.kind('ServiceEntry').some((se) => ((get(se, 'spec', 'hosts') as string[] | undefined) ?? []).includes(host));
  }

  /** Pod templates in a namespace whose labels match every given label. */
  podsMatching(namespace: string | null, labels: Labels): PodTemplate[] {
    return this.templates.filter((t) => (namespace === null || t.namespace === namespace) && selects(labels, t.labels));
  }

  namespacesWithPods(): Set<string> {
    return new Set(this.templates.map((t) => t.namespace));
  }
}

export { get as field };

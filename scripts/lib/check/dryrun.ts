// Server-side dry-run against a real API server (scripts/lib/kube/local-apiserver.ts) with the real
// CRDs: schema, defaults, CEL rules and admission all come from the server, and strict field
// validation makes an unknown field an error. Namespaces (with their Pod Security labels) and
// ServiceAccounts are created for real, since the dry-run of what lives in them needs them; the
// pods as they will run (injected) are created with a dry-run too, so Pod Security `enforce` judges them.
import type { LocalApiServer } from '../kube/local-apiserver.ts';
import { objectRef, type KubeObject } from '../kube/render.ts';
import type { FindingSink } from './finding.ts';
import type { RunningPod } from './inject.ts';
import { namespaceLabels } from './inject.ts';

type Api = Pick<LocalApiServer, 'request'>;

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

interface Status {
  kind?: string;
  message?: string;
  reason?: string;
}

const FIELD_MANAGER = 'shopmesh-check';

/** Talks to one server: discovery is cached, and identical dry-runs are asked once. */
export class DryRunner {
  private readonly discovery = new Map<string, Promise<ApiResource[] | null>>();
  private readonly verdicts = new Map<string, Promise<string | null>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly api: Api) {}

  private resources(apiVersion: string): Promise<ApiResource[] | null> {
    let r = this.discovery.get(apiVersion);
    if (!r) {
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      r = this.api.request<{ resources?: ApiResource[] }>('GET', base).then((res) => (res.status === 200 ? (res.body.resources ?? []).filter((x) => !x.name.includes('/')) : null));
      this.discovery.set(apiVersion, r);
    }
    return r;
  }

  /** The collection URL of an object, or an error message when the server does not serve its kind. */
  private async collection(o: KubeObject): Promise<{ url: string; resource: ApiResource } | { error: string }> {
    const list = await this.resources(o.apiVersion);
    const resource = list?.find((x) => x.kind === o.kind);
    if (!resource) return { error: `the API server serves no kind "${o.kind}" in apiVersion "${o.apiVersion}" (a typo, or a CRD this sandbox does not install)` };
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const ns = o.metadata.namespace ?? 'default';
    return { url: resource.namespaced ? `${base}/namespaces/${encodeURIComponent(ns)}/${resource.name}` : `${base}/${resource.name}`, resource };
  }

  /** Creates or updates an object for real with server-side apply (strict), returning the error or null. */
  async apply(o: KubeObject): Promise<string | null> {
    const c = await this.collection(o);
    if ('error' in c) return c.error;
    const r = await this.api.request<Status>('PATCH', `${c.url}/${encodeURIComponent(o.metadata.name)}?fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Strict`, o, 'application/apply-patch+yaml');
    return r.status < 300 ? null : statusMessage(r.body, r.status);
  }

  /** `POST ?dryRun=All&fieldValidation=Strict`: the server's verdict, or null when it accepts. */
  dryRunCreate(o: KubeObject, scope: string): Promise<string | null> {
    const key = `${scope}\n${JSON.stringify(o)}`;
    let v = this.verdicts.get(key);
    if (!v) {
      v = (async () => {
        const c = await this.collection(o);
        if ('error' in c) return c.error;
        const r = await this.api.request<Status>('POST', `${c.url}?dryRun=All&fieldValidation=Strict`, o);
        return r.status < 300 ? null : statusMessage(r.body, r.status);
      })();
      this.verdicts.set(key, v);
    }
    return v;
  }

  /** Runs `fn` alone: overlays that label the same namespace differently must not interleave. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function statusMessage(body: Status | string, status: number): string {
  if (typeof body === 'string') return `HTTP ${status}: ${body.trim()}`;
  return body.message ?? `HTTP ${status} ${body.reason ?? ''}`.trim();
}

/** Namespaces the objects live in, as the overlay declares them (or bare, as `up`/helm create them). */
function namespacesOf(objects: KubeObject[], pods: RunningPod[]): KubeObject[] {
  const names = new Set<string>();
  for (const o of [...objects, ...pods.map((p) => p.pod)]) if (o.kind !== 'Namespace' && o.metadata.namespace) names.add(o.metadata.namespace);
  const declared = objects.filter((o) => o.kind === 'Namespace');
  for (const d of declared) names.delete(d.metadata.name);
  return [...declared, ...[...names].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as KubeObject)];
}

/**
 * Dry-runs one overlay: its Namespaces and ServiceAccounts are applied for real (strict), every
 * other object is created with a dry-run; then its pods as they will run are created with a dry-run
 * in their labelled namespace (`pods` sink: the injected-pods layer).
 */
export async function dryRunOverlay(runner: DryRunner, objects: KubeObject[], pods: RunningPod[] | null, sink: FindingSink, podSink: FindingSink): Promise<void> {
  await runner.exclusive(async () => {
    const setup = [...namespacesOf(objects, pods ?? []), ...objects.filter((o) => o.kind === 'ServiceAccount')];
    for (const o of setup) {
      const err = await runner.apply(o);
      if (err) sink.error('dry-run', objectRef(o), '', err);
    }
    // The namespace labels decide Pod Security, so they are part of what makes two dry-runs the same.
    const scope = (ns: string | undefined) => JSON.stringify(namespaceLabels(objects, ns ?? 'default'));
    const rest = objects.filter((o) => o.kind !== 'Namespace' && o.kind !== 'ServiceAccount');
    const verdicts = await Promise.all(rest.map((o) => runner.dryRunCreate(o, scope(o.metadata.namespace))));
    rest.forEach((o, i) => verdicts[i] && sink.error('dry-run', objectRef(o), '', verdicts[i]!));
    if (!pods) return;
    const podVerdicts = await Promise.all(pods.map((p) => runner.dryRunCreate(p.pod, scope(p.pod.metadata.namespace))));
    pods.forEach((p, i) => {
      const v = podVerdicts[i];
      if (!v) return;
      const how = p.injected ? 'injected' : 'not injected';
      podSink.error(/violates PodSecurity/.test(v) ? 'pod-security' : 'dry-run', objectRef(p.pod), '', `(${how}, from ${objectRef(p.from)}): ${v}`);
    });
  });
}

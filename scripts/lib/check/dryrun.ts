// Server-side dry-run against a real API server (scripts/lib/kube/local-apiserver.ts) with the real
// CRDs: schema, defaults, CEL rules and admission all come from the server, and strict field
// validation makes an unknown field an error. The Kubernetes objects the analyzers read are on the
// server for real (live.ts), so the dry-run of what lives in them finds their namespaces; the pods as
// they will run (injected) are created with a dry-run, so Pod Security `enforce` judges them.
import type { LocalApiServer } from '../kube/local-apiserver.ts';
import { objectRef, type KubeObject } from '../kube/render.ts';
import type { FindingSink } from './finding.ts';
import type { RunningPod } from './inject.ts';
import { namespaceLabels } from './inject.ts';
import { judgedOnServer, keyOf, onServer, type LiveCluster } from './live.ts';

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

  /**
   * Deletes an object for real. A Namespace is finalized at once: with no controller-manager nothing
   * would ever empty it (its objects are deleted one by one before).
   */
  async remove(o: KubeObject): Promise<void> {
    const c = await this.collection(o);
    if ('error' in c) return;
    const url = `${c.url}/${encodeURIComponent(o.metadata.name)}`;
    const r = await this.api.request<KubeObject & { spec?: { finalizers?: string[] } }>('DELETE', url);
    if (r.status === 404) return;
    if (r.status >= 300) throw new Error(`deleting ${objectRef(o)} failed: ${statusMessage(r.body as Status, r.status)}`);
    if (o.kind === 'Namespace' && o.apiVersion === 'v1') {
      const ns = r.body;
      const f = await this.api.request<Status>('PUT', `${url}/finalize`, { ...ns, spec: { ...ns.spec, finalizers: [] } });
      if (f.status >= 300 && f.status !== 404) throw new Error(`finalizing Namespace ${o.metadata.name} failed: ${statusMessage(f.body, f.status)}`);
    }
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

}

function statusMessage(body: Status | string, status: number): string {
  if (typeof body === 'string') return `HTTP ${status}: ${body.trim()}`;
  return body.message ?? `HTTP ${status} ${body.reason ?? ''}`.trim();
}

/**
 * Dry-runs one overlay while the server holds its cluster state (live.ts: its Namespaces,
 * ServiceAccounts, Services, Secrets and Deployments were applied for real, strict, and that apply is
 * their verdict); every other object is created with a dry-run; then its pods as they will run are
 * created with a dry-run in their labelled namespace (`pods` sink: the injected-pods layer).
 */
export async function dryRunOverlay(runner: DryRunner, cluster: Pick<LiveCluster, 'verdicts'>, objects: KubeObject[], pods: RunningPod[] | null, sink: FindingSink, podSink: FindingSink): Promise<void> {
  for (const o of objects.filter(onServer)) {
    const err = cluster.verdicts.get(keyOf(o));
    if (err) sink.error('dry-run', objectRef(o), '', err);
  }
  // The namespace labels decide Pod Security, so they are part of what makes two dry-runs the same.
  const scope = (ns: string | undefined) => JSON.stringify(namespaceLabels(objects, ns ?? 'default'));
  const rest = objects.filter((o) => !onServer(o));
  const verdicts = await Promise.all(rest.map((o) => runner.dryRunCreate(o, scope(o.metadata.namespace))));
  rest.forEach((o, i) => verdicts[i] && sink.error('dry-run', objectRef(o), '', verdicts[i]!));
  if (!pods) return;
  const podVerdicts = await Promise.all(pods.map((p) => (judgedOnServer(p.pod) ? (cluster.verdicts.get(keyOf(p.pod)) ?? null) : runner.dryRunCreate(p.pod, scope(p.pod.metadata.namespace)))));
  pods.forEach((p, i) => {
    const v = podVerdicts[i];
    if (!v) return;
    const how = p.injected ? 'injected' : 'not injected';
    podSink.error(/violates PodSecurity/.test(v) ? 'pod-security' : 'dry-run', objectRef(p.pod), '', `(${how}, from ${objectRef(p.from)}): ${v}`);
  });
}

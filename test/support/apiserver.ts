// Test support around the real local API server (scripts/lib/kube/local-apiserver.ts): one start
// with the real CRDs and an audit log, namespaces as Helm or the controllers would leave them, a
// stand-in for the Deployment controller (there is no controller-manager), and audit look-ups.
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { startLocalApiServer, type AuditEvent, type LocalApiServer, type LocalApiServerOptions } from '../../scripts/lib/kube/local-apiserver.ts';
import { crdEtcdSeed, crdFiles } from '../../scripts/lib/tools/crds.ts';

export type { AuditEvent, LocalApiServer };

/**
 * Starts etcd and kube-apiserver with the audit log on and, unless `crds: false` (a test that only
 * needs built-in kinds starts in half the time), every CRD the sandbox uses. Stop it in an after hook.
 */
export async function startTestApiServer(options: Omit<LocalApiServerOptions, 'crdFiles'> & { crds?: boolean } = {}): Promise<LocalApiServer> {
  const { crds = true, ...rest } = options;
  const verbose = Boolean(process.env.SHOPMESH_VERBOSE);
  const seed = crds ? crdEtcdSeed() : undefined;
  return startLocalApiServer({ audit: true, ...(crds ? { crdFiles: crdFiles() } : {}), ...(seed ? { etcdSeed: seed } : {}), ...(verbose ? { log: (l) => process.stderr.write(`${l}\n`) } : {}), ...rest });
}

export function kubeConfigOf(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

async function ok<T>(api: LocalApiServer, method: string, apiPath: string, body?: unknown, contentType?: string): Promise<T> {
  const r = await api.request<T>(method, apiPath, body, contentType);
  if (r.status >= 300) throw new Error(`${method} ${apiPath} → ${r.status}: ${(r.body as { message?: string }).message ?? JSON.stringify(r.body)}`);
  return r.body;
}

/** Server-side applies one object as the test's own field manager (what a chart or a controller would have written). */
export async function seed(api: LocalApiServer, apiPath: string, object: Record<string, unknown>): Promise<any> {
  return ok(api, 'PATCH', `${apiPath}?fieldManager=test-setup&force=true`, object, 'application/apply-patch+yaml');
}

/**
 * A namespace as `helm install --create-namespace` leaves it, with the `default` ServiceAccount the
 * controller-manager would add (Pods cannot be created without it).
 */
export async function seedNamespace(api: LocalApiServer, name: string, labels: Record<string, string> = {}): Promise<void> {
  await seed(api, `/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  await seed(api, `/api/v1/namespaces/${name}/serviceaccounts/default`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } });
}

interface DeploymentLike {
  metadata: { name: string; namespace: string; generation?: number };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; availableReplicas?: number };
}

/** Marks every Deployment in the namespace rolled out, as the Deployment controller and kubelets would; returns the names changed. */
export async function markDeploymentsAvailable(api: LocalApiServer, namespace: string): Promise<string[]> {
  const list = await ok<{ items: DeploymentLike[] }>(api, 'GET', `/apis/apps/v1/namespaces/${namespace}/deployments`);
  const changed: string[] = [];
  for (const d of list.items) {
    const replicas = d.spec?.replicas ?? 1;
    if (d.status?.observedGeneration === d.metadata.generation && d.status?.availableReplicas === replicas) continue;
    const status = {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'played by the test' }],
    };
    await ok(api, 'PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/${d.metadata.name}/status`, { status }, 'application/merge-patch+json');
    changed.push(d.metadata.name);
  }
  return changed;
}

/**
 * Plays the Deployment controller for one namespace until stopped (or `maxMs` passes): every
 * Deployment written there is marked available shortly after. Returns the stop function.
 */
export function playDeploymentController(api: LocalApiServer, namespace: string, opts: { intervalMs?: number; maxMs?: number } = {}): () => Promise<void> {
  let stopped = false;
  const deadline = Date.now() + (opts.maxMs ?? 300_000);
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      await markDeploymentsAvailable(api, namespace).catch(() => {}); // the namespace may not exist yet
      await sleep(opts.intervalMs ?? 100);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** Audited requests after `mark` (an index into auditEvents()), waiting briefly for the log to catch up with `until`. */
export async function auditSince(api: LocalApiServer, mark: number, until?: (events: AuditEvent[]) => boolean, timeoutMs = 2000): Promise<AuditEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = api.auditEvents().slice(mark);
    if (!until || until(events) || Date.now() > deadline) return events;
    await sleep(20);
  }
}

/** The changes among audited events (not get, list or watch), as `verb path` lines with the query. */
export function writes(events: AuditEvent[]): AuditEvent[] {
  return events.filter((e) => !['get', 'list', 'watch'].includes(e.verb));
}

/** The path of an audited request without its query. */
export function pathOf(e: AuditEvent): string {
  return e.requestURI.split('?')[0]!;
}

export function queryOf(e: AuditEvent): URLSearchParams {
  return new URLSearchParams(e.requestURI.split('?')[1] ?? '');
}

// The cluster look-ups and calls the scenario runner makes beyond apply/delete/wait: the scenario
// record, the admin counter of the mirror target (through the API server's pod proxy), k6 Jobs and
// their logs, the sandbox CA, and probes through the gateway.
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { request, Agent } from 'undici';
import { FixableError } from '../cli.ts';
import { readObject } from '../kube/apply.ts';
import { RECORD } from './record.ts';
import type { ResponseLike } from '../../../loadtests/lib/classify.ts';

export interface Probe {
  url: string;
  headers?: Record<string, string>;
  ca?: string;
}

export interface ClusterOps {
  readRecord(kc: KubeConfig): Promise<{ data?: Record<string, string> } | undefined>;
  /** The container images the shop's Deployments run now, by image name (`<registry>/shopmesh/products:<tag>`). */
  deployedImages(kc: KubeConfig, namespace: string): Promise<string[]>;
  podsOf(kc: KubeConfig, namespace: string, selector: string): Promise<string[]>;
  adminStats(kc: KubeConfig, namespace: string, pod: string): Promise<number>;
  resetAdminStats(kc: KubeConfig, namespace: string, pod: string): Promise<void>;
  waitForJob(kc: KubeConfig, namespace: string, name: string, timeoutMs: number): Promise<'succeeded' | 'failed'>;
  jobLog(kc: KubeConfig, namespace: string, job: string): Promise<string>;
  secretValue(kc: KubeConfig, namespace: string, name: string, key: string): Promise<string | undefined>;
  probe(p: Probe): Promise<ResponseLike>;
}

export const ADMIN_PORT = 9090;

export const clusterOps: ClusterOps = {
  async readRecord(kc) {
    return readObject<{ apiVersion?: string; kind?: string; data?: Record<string, string> }>(kc, { apiVersion: RECORD.apiVersion, kind: RECORD.kind, namespace: RECORD.namespace, name: RECORD.name });
  },
  async deployedImages(kc, namespace) {
    const list = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace });
    return list.items.flatMap((d) => (d.spec?.template.spec?.containers ?? []).map((c) => c.image ?? ''));
  },
  async podsOf(kc, namespace, selector) {
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: selector });
    return list.items.filter((p) => p.status?.phase === 'Running').map((p) => p.metadata!.name!);
  },
  async adminStats(kc, namespace, pod) {
    const body = await kc.makeApiClient(CoreV1Api).connectGetNamespacedPodProxyWithPath({ name: `${pod}:${ADMIN_PORT}`, namespace, path: 'admin/stats' });
    const parsed = JSON.parse(String(body)) as { requests?: unknown };
    if (typeof parsed.requests !== 'number') throw new Error(`${pod}: /admin/stats answered without a request count: ${String(body).slice(0, 200)}`);
    return parsed.requests;
  },
  async resetAdminStats(kc, namespace, pod) {
    // A DELETE: the admin port takes state changes only as non-simple requests, which a web page cannot send.
    await kc.makeApiClient(CoreV1Api).connectDeleteNamespacedPodProxyWithPath({ name: `${pod}:${ADMIN_PORT}`, namespace, path: 'admin/stats' });
  },
  async waitForJob(kc, namespace, name, timeoutMs) {
    const batch = kc.makeApiClient(BatchV1Api);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await batch.readNamespacedJob({ name, namespace });
      if ((job.status?.succeeded ?? 0) > 0) return 'succeeded';
      if ((job.status?.failed ?? 0) > 0) return 'failed';
      if (Date.now() >= deadline) throw new FixableError(`k6 Job ${namespace}/${name} did not finish in ${Math.round(timeoutMs / 1000)}s`, `kubectl -n ${namespace} describe job ${name}; kubectl -n ${namespace} logs job/${name} -c k6`);
      await sleep(3000);
    }
  },
  async jobLog(kc, namespace, job) {
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
    const pod = pods.items[0]?.metadata?.name;
    if (!pod) throw new Error(`k6 Job ${namespace}/${job} has no pod`);
    return String(await core.readNamespacedPodLog({ name: pod, namespace, container: 'k6' }));
  },
  async secretValue(kc, namespace, name, key) {
    try {
      const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name, namespace });
      const value = secret.data?.[key];
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
    } catch {
      return undefined;
    }
  },
  async probe(p) {
    const dispatcher = p.ca ? new Agent({ connect: { ca: p.ca } }) : undefined;
    try {
      const res = await request(p.url, { method: 'GET', headers: p.headers ?? {}, headersTimeout: 15_000, bodyTimeout: 15_000, ...(dispatcher ? { dispatcher } : {}) });
      const body = await res.body.text();
      return { status: res.statusCode, headers: res.headers as ResponseLike['headers'], body };
    } catch {
      return { status: 0, headers: {}, body: '' };
    } finally {
      await dispatcher?.close();
    }
  },
};

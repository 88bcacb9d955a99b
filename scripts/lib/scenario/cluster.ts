// The cluster look-ups and calls the scenario runner makes beyond apply/delete/wait: the scenario
// record, the admin counter of the mirror target (through the API server's pod proxy), k6 Jobs and
// their logs, the sandbox CA, and probes through the gateway.
import { PORTS_CONFIGMAP } from '../providers/ports.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { request, Agent } from 'undici';
import { FixableError } from '../cli.ts';
import { readObject, type ObjectRef } from '../kube/apply.ts';
import { RECORD } from './record.ts';
import type { ResponseLike } from '../../../loadtests/lib/classify.ts';

export interface Probe {
  url: string;
  headers?: Record<string, string>;
  /** Trust only this CA (PEM): Node verifies the chain and the name against it, on every OS. */
  ca?: string;
  /** The TLS server name (SNI and the name checked), when the URL holds an address. */
  servername?: string;
}

/** A probe's answer: status 0 when none came, with k6's error code for the reason, so one classifier reads both. */
export type ProbeAnswer = ResponseLike & { durationMs?: number };

// Node's socket errors as k6 numbers them (DNS 11xx, TCP 12xx); anything else (TLS, timeouts) has none.
const K6_ERROR_CODES: Record<string, number> = { ENOTFOUND: 1101, EAI_AGAIN: 1100, EPIPE: 1201, ECONNREFUSED: 1212, ECONNRESET: 1220, UND_ERR_SOCKET: 1220 };

export function errorCodeOf(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && K6_ERROR_CODES[code] !== undefined) return K6_ERROR_CODES[code];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface ClusterOps {
  readRecord(kc: KubeConfig): Promise<{ data?: Record<string, string> } | undefined>;
  /** The container images the shop's Deployments run now, by image name (`<registry>/shopmesh/products:<tag>`). */
  deployedImages(kc: KubeConfig, namespace: string): Promise<string[]>;
  podsOf(kc: KubeConfig, namespace: string, selector: string): Promise<string[]>;
  adminStats(kc: KubeConfig, namespace: string, pod: string): Promise<number>;
  resetAdminStats(kc: KubeConfig, namespace: string, pod: string): Promise<void>;
  /** The ports up recorded (ConfigMap kube-public/shopmesh-sandbox), or undefined. */
  recordedPorts(kc: KubeConfig): Promise<Record<string, string> | undefined>;
  waitForJob(kc: KubeConfig, namespace: string, name: string, timeoutMs: number): Promise<'succeeded' | 'failed'>;
  jobLog(kc: KubeConfig, namespace: string, job: string): Promise<string>;
  secretValue(kc: KubeConfig, namespace: string, name: string, key: string): Promise<string | undefined>;
  probe(p: Probe): Promise<ProbeAnswer>;
  /** A plaintext GET into the first running pod of `selector`, through the API server's pod proxy (no sidecar on the caller's side). */
  podGet(kc: KubeConfig, namespace: string, selector: string, port: number, path: string): Promise<ProbeAnswer>;
  /** A cert-manager Certificate's Ready condition. */
  certificateReady(kc: KubeConfig, namespace: string, name: string): Promise<{ ready: boolean; message: string }>;
  /** The live object's labels, or undefined when it is gone. */
  labelsOf(kc: KubeConfig, ref: ObjectRef): Promise<Record<string, string> | undefined>;
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
  async recordedPorts(kc) {
    const cm = await readObject<{ apiVersion?: string; kind?: string; data?: Record<string, string> }>(kc, { apiVersion: 'v1', kind: 'ConfigMap', namespace: PORTS_CONFIGMAP.namespace, name: PORTS_CONFIGMAP.name });
    return cm?.data;
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
    const dispatcher = p.ca || p.servername ? new Agent({ connect: { ...(p.ca ? { ca: p.ca } : {}), ...(p.servername ? { servername: p.servername } : {}) } }) : undefined;
    const started = performance.now();
    try {
      const res = await request(p.url, { method: 'GET', headers: p.headers ?? {}, headersTimeout: 15_000, bodyTimeout: 15_000, ...(dispatcher ? { dispatcher } : {}) });
      const body = await res.body.text();
      return { status: res.statusCode, headers: res.headers as ResponseLike['headers'], body, durationMs: performance.now() - started };
    } catch (err) {
      const errorCode = errorCodeOf(err);
      return { status: 0, headers: {}, body: '', durationMs: performance.now() - started, ...(errorCode ? { errorCode } : {}) };
    } finally {
      await dispatcher?.close();
    }
  },
  async podGet(kc, namespace, selector, port, path) {
    const pod = (await clusterOps.podsOf(kc, namespace, selector))[0];
    if (!pod) return { status: 0, headers: {}, body: `no running pod for ${selector}` };
    try {
      const body = await kc.makeApiClient(CoreV1Api).connectGetNamespacedPodProxyWithPath({ name: `${pod}:${port}`, namespace, path: path.replace(/^\//, '') });
      return { status: 200, headers: {}, body: String(body) };
    } catch (err) {
      // The API server answers 503 when the pod's side refused or reset the connection.
      const code = (err as { code?: unknown }).code;
      return { status: typeof code === 'number' ? code : 0, headers: {}, body: String((err as { body?: unknown }).body ?? err) };
    }
  },
  async certificateReady(kc, namespace, name) {
    try {
      const cert = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', namespace, plural: 'certificates', name })) as {
        status?: { conditions?: { type?: string; status?: string; message?: string }[] };
      };
      const ready = cert.status?.conditions?.find((c) => c.type === 'Ready');
      return { ready: ready?.status === 'True', message: ready?.message ?? 'no Ready condition yet' };
    } catch (err) {
      return { ready: false, message: `not readable: ${(err as Error).message}` };
    }
  },
  async labelsOf(kc, ref) {
    const live = await readObject<{ metadata?: { labels?: Record<string, string> } }>(kc, ref);
    return live ? (live.metadata?.labels ?? {}) : undefined;
  },
};

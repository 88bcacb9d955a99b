// Pods as they will run: each pod template becomes the Pod its controller would create, and the
// pods the injection webhook selects go through `istioctl kube-inject` with the mesh config, injector
// templates and values that the istiod chart renders from `up`'s values.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { parseManifests, type KubeObject } from '../kube/render.ts';
import { injectedByWebhook, LayerUnavailable, type MeshContext } from './mesh.ts';
import { podTemplates } from './objects.ts';

const exec = promisify(execFile);

export interface RunningPod {
  /** The workload (or Pod) the pod comes from. */
  from: KubeObject;
  pod: KubeObject;
  injected: boolean;
}

/** Labels a namespace has on the server: its own plus the name label the API server adds. */
export function namespaceLabels(objects: KubeObject[], namespace: string): Record<string, string> {
  const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === namespace);
  return { ...(ns?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
}

/** The Pod a workload's controller creates from its template (named after the workload). */
export function podsFromTemplates(objects: KubeObject[]): { from: KubeObject; pod: KubeObject }[] {
  return podTemplates(objects).map((t) => {
    if (t.obj.kind === 'Pod') return { from: t.obj, pod: t.obj };
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: t.obj.metadata.name,
        namespace: t.namespace,
        labels: { ...t.labels },
        ...(Object.keys(t.annotations).length ? { annotations: { ...t.annotations } } : {}),
      },
      spec: structuredClone(t.spec),
    };
    return { from: t.obj, pod };
  });
}

/**
 * Injects every pod the webhook would select, in one `istioctl kube-inject` run (identical pods
 * across overlays are injected once).
 */
export async function runningPods(istioctl: string, mesh: MeshContext, batches: KubeObject[][], context: KubeObject[] = []): Promise<RunningPod[][]> {
  const planned = batches.map((objects) =>
    podsFromTemplates(objects).map(({ from, pod }) => {
      const ns = pod.metadata.namespace ?? 'default';
      const inject = injectedByWebhook(mesh.istiod, namespaceLabels([...objects, ...context], ns), pod.metadata.labels ?? {});
      return { from, pod, inject, key: JSON.stringify(pod) };
    }),
  );
  const unique = new Map<string, KubeObject>();
  for (const p of planned.flat()) if (p.inject) unique.set(p.key, p.pod);
  const injected = await kubeInject(istioctl, mesh, [...unique.values()]);
  const byKey = new Map([...unique.keys()].map((k, i) => [k, injected[i]!]));
  return planned.map((pods) => pods.map(({ from, pod, inject, key }) => ({ from, pod: inject ? byKey.get(key)! : pod, injected: inject })));
}

export async function kubeInject(istioctl: string, mesh: MeshContext, pods: KubeObject[]): Promise<KubeObject[]> {
  if (pods.length === 0) return [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-inject-'));
  try {
    const input = path.join(dir, 'pods.yaml');
    writeFileSync(input, pods.map((p) => YAML.stringify(p)).join('---\n'));
    let stdout: string;
    try {
      ({ stdout } = await exec(
        istioctl,
        // An explicit revision: without one this istioctl waits for a cluster to name the default revision.
        ['kube-inject', '--revision', 'default', '--filename', input, '--meshConfigFile', mesh.meshConfigFile, '--injectConfigFile', mesh.injectConfigFile, '--valuesFile', mesh.valuesFile],
        { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
      ));
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw new LayerUnavailable(`istioctl kube-inject failed: ${(e.stderr ?? e.message).trim()}`);
    }
    const out = parseManifests(stdout);
    if (out.length !== pods.length) throw new LayerUnavailable(`istioctl kube-inject returned ${out.length} objects for ${pods.length} pods`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

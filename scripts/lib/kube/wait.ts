// Bounded waits on the cluster: Deployments available, CRDs Established. Each shows progress.
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, ApiextensionsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { isNotFound } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  onProgress?: (msg: string) => void;
  /** Time between polls (default 2 s). */
  intervalMs?: number;
}

export function deploymentReadiness(d: V1Deployment): { name: string; ready: number; desired: number; available: boolean } {
  const desired = d.spec?.replicas ?? 1;
  const ready = d.status?.readyReplicas ?? 0;
  const current = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  const available = current && (d.status?.updatedReplicas ?? 0) >= desired && (d.status?.availableReplicas ?? 0) >= desired;
  return { name: d.metadata?.name ?? '?', ready, desired, available };
}

/** Waits until every Deployment in the namespace is available; progress lists the ready counts. */
export async function waitForRollouts(runner: Runner, kc: KubeConfig, namespace: string, opts: WaitOptions): Promise<void> {
  await runner.api(`wait for every Deployment in ${namespace} to be available (up to ${Math.round(opts.timeoutMs / 1000)}s)`, async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const deadline = Date.now() + opts.timeoutMs;
    let last = '';
    for (;;) {
      const list = await apps.listNamespacedDeployment({ namespace });
      const states = list.items.map(deploymentReadiness);
      const summary = states.map((s) => `${s.name} ${s.ready}/${s.desired}`).join(', ');
      const done = states.filter((s) => s.available).length;
      const line = `${namespace}: ${done}/${states.length} deployments available${summary ? ` (${summary})` : ''}`;
      if (line !== last) opts.onProgress?.(line);
      last = line;
      if (states.length > 0 && done === states.length) return;
      if (Date.now() >= deadline) {
        const waiting = states.filter((s) => !s.available).map((s) => s.name);
        throw new FixableError(
          `timed out waiting for Deployments in ${namespace}: ${waiting.length ? waiting.join(', ') : 'none exist'}`,
          `look at the pods: kubectl get pods -n ${namespace}; kubectl describe pod -n ${namespace} <pod>`,
        );
      }
      await sleep(opts.intervalMs ?? 2000);
    }
  });
}

/** Waits until each named CRD reports Established=True (custom resources of it can be applied then). */
export async function waitForCrdsEstablished(runner: Runner, kc: KubeConfig, names: string[], opts: WaitOptions): Promise<void> {
  await runner.api(`wait for CRDs to be Established: ${names.join(', ')}`, async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const deadline = Date.now() + opts.timeoutMs;
    const pending = new Set(names);
    for (;;) {
      for (const name of [...pending]) {
        try {
          const crd = await ext.readCustomResourceDefinition({ name });
          if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) pending.delete(name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      opts.onProgress?.(`CRDs established: ${names.length - pending.size}/${names.length}`);
      if (pending.size === 0) return;
      if (Date.now() >= deadline) {
        throw new FixableError(`timed out waiting for CRDs: ${[...pending].join(', ')}`, 'check the install that provides them: kubectl get crd');
      }
      await sleep(opts.intervalMs ?? 1000);
    }
  });
}

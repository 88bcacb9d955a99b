// What `up` does with a cluster that already exists, perhaps from an interrupted run: a Ctrl-C
// during `k3d cluster create` or `kind create cluster` can leave the node running without the
// context in the kubeconfig, or with an API server that never came up. The first is repaired by
// exporting the context again; the second only by recreating the cluster.
import { KubeConfig } from '@kubernetes/client-node';
import { defaultKubeconfigFiles } from '../kube/client.ts';
import type { Runner } from '../plan.ts';
import { existsSync } from 'node:fs';

export interface RecoverySteps {
  context: string;
  kubectl: string;
  /** Writes the cluster's context into the user's kubeconfig again. */
  exportKubeconfig: () => Promise<void>;
  /** Deletes the cluster and creates it anew. */
  recreate: () => Promise<void>;
  /** Bounded wait for the API server: attempts and the pause between them. */
  attempts?: number;
  pauseMs?: number;
}

export function contextInKubeconfig(context: string): boolean {
  if (!defaultKubeconfigFiles().some((f) => existsSync(f))) return false;
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch {
    return false;
  }
  return Boolean(kc.getContextObject(context));
}

export async function apiServerAnswers(runner: Runner, kubectl: string, context: string): Promise<boolean> {
  const r = await runner.query(kubectl, ['--context', context, 'get', '--raw', '/readyz', '--request-timeout', '10s'], { timeoutMs: 30_000 }).catch(() => undefined);
  return Boolean(r && r.code === 0);
}

/** Makes an existing cluster usable again, or recreates it; says what it found and did. */
export async function recoverExistingCluster(runner: Runner, steps: RecoverySteps): Promise<void> {
  if (runner.dryRun) {
    runner.note(`(the cluster exists: up checks that ${steps.context} is in your kubeconfig and that its API server answers, and repairs or recreates it if not)`);
    return;
  }
  if (!contextInKubeconfig(steps.context)) {
    runner.note(`the cluster exists but ${steps.context} is not in your kubeconfig (an interrupted create?): writing it again`);
    await steps.exportKubeconfig();
  }
  const attempts = steps.attempts ?? 6;
  for (let i = 1; i <= attempts; i++) {
    if (await apiServerAnswers(runner, steps.kubectl, steps.context)) return;
    if (i < attempts) await new Promise((r) => setTimeout(r, steps.pauseMs ?? 5_000));
  }
  runner.note(`the API server of ${steps.context} does not answer after ${attempts} tries (a half-created cluster?): deleting and recreating it`);
  await steps.recreate();
}

// What shopmesh installed, marked so that it only ever changes or removes its own. On k3d and kind the
// whole cluster is the sandbox's; on microk8s the cluster is the user's own, shared with whatever else
// they run, so a release, namespace or CRD that shopmesh did not create is left alone and named.
import type { KubeConfig } from '@kubernetes/client-node';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { readObject, serverSideApply } from './apply.ts';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const SHOPMESH = 'shopmesh';
/** The label on every namespace, CRD and Helm release shopmesh installs. */
export const OWNED = `${MANAGED_BY}=${SHOPMESH}`;

export interface Ownership {
  /** True on k3d and kind (the cluster is the sandbox): unmarked leftovers of an older sandbox are adopted. */
  ownsCluster: boolean;
}

export function isOwned(labels: Record<string, string> | undefined): boolean {
  return labels?.[MANAGED_BY] === SHOPMESH;
}

/** The refusal for something in the user's own cluster that shopmesh did not install. */
export function notOurs(what: string): FixableError {
  return new FixableError(
    `refusing to change ${what}: shopmesh did not install it (it has no ${OWNED} label), so it is yours`,
    'remove it yourself if it is a leftover, or run the sandbox on its own cluster: npm run up -- --provider k3d',
  );
}

/**
 * Creates the namespace marked as shopmesh's when it is absent. An existing unmarked one is adopted on
 * the sandbox's own cluster, and used as it is (and never deleted by down) on a shared one.
 */
export async function ensureOwnedNamespace(runner: Runner, kc: KubeConfig, name: string, ownership: Ownership, reachable: boolean): Promise<void> {
  const existing = reachable ? await readObject(kc, { apiVersion: 'v1', kind: 'Namespace', name }) : undefined;
  if (existing && isOwned(existing.metadata?.labels)) return;
  if (existing && !ownership.ownsCluster) {
    runner.note(`namespace ${name} exists and is not shopmesh's: used as it is, and \`npm run down\` leaves it`);
    return;
  }
  await serverSideApply(runner, kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [MANAGED_BY]: SHOPMESH } } }], { fieldManager: 'shopmesh' });
}

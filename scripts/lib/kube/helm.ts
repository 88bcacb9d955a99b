// `helm upgrade --install` that does nothing when the release is already deployed at the pinned
// chart version with the same values, and repairs a release an interrupted run left pending.
import { isDeepStrictEqual } from 'node:util';
import { CommandError, formatCommand, type Runner } from '../plan.ts';

import { notOurs, OWNED, type Ownership } from './ownership.ts';

export interface HelmRelease {
  release: string;
  /** Chart reference (an oci:// URL). */
  chart: string;
  version: string;
  namespace: string;
  values: Record<string, unknown>;
  timeout?: string;
}

interface ListedRelease {
  name: string;
  namespace: string;
  status: string;
  chart: string;
}

/**
 * Every release in the cluster, whatever its status (Helm 4 lists all statuses by default and has no
 * `--all`). A failure is an error: guessing "none" would reinstall everything and hide a broken
 * cluster. Only a dry run, which may plan for a cluster that does not exist yet, goes on with none.
 */
export async function listReleases(runner: Runner, helm: string, context: string, opts: { onlyOurs?: boolean; kubeconfig?: string } = {}): Promise<ListedRelease[]> {
  const args = ['list', '--all-namespaces', ...(opts.onlyOurs ? ['--selector', OWNED] : []), '-o', 'json', '--kube-context', context, ...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : [])];
  const r = await runner.query(helm, args);
  if (r.code !== 0) {
    if (runner.dryRun) {
      runner.note(`(helm could not list the releases, so the plan assumes none: ${(r.stderr || r.stdout).trim().split('\n')[0]})`);
      return [];
    }
    throw new CommandError(formatCommand(helm, args), r);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout || '[]');
  } catch {
    throw new CommandError(formatCommand(helm, args), { ...r, stderr: `helm printed something that is not JSON: ${r.stdout.slice(0, 200)}` });
  }
  return (parsed as ListedRelease[] | null) ?? [];
}

/** `istiod-1.31.1` → `1.31.1` (the chart name is the last path segment of the reference). */
export function chartVersionOf(listed: ListedRelease, chart: string): string {
  const name = chart.split('/').pop()!;
  return listed.chart.startsWith(`${name}-`) ? listed.chart.slice(name.length + 1) : listed.chart;
}

/**
 * Installs or upgrades a release, marked as shopmesh's. On a shared cluster (microk8s) a release of the
 * same name that shopmesh did not install is refused, never upgraded over.
 */
export async function helmUpgradeInstall(runner: Runner, helm: string, context: string, r: HelmRelease, ownership: Ownership = { ownsCluster: true }): Promise<void> {
  const listed = (await listReleases(runner, helm, context)).find((x) => x.name === r.release && x.namespace === r.namespace);
  if (listed && !ownership.ownsCluster) {
    const ours = (await listReleases(runner, helm, context, { onlyOurs: true })).some((x) => x.name === r.release && x.namespace === r.namespace);
    if (!ours) throw notOurs(`the Helm release ${r.release} in ${r.namespace} (chart ${listed.chart})`);
  }
  const scope = ['-n', r.namespace, '--kube-context', context];
  if (listed?.status === 'deployed' && chartVersionOf(listed, r.chart) === r.version) {
    const current = await runner.query(helm, ['get', 'values', r.release, ...scope, '-o', 'json']);
    let values: unknown = undefined;
    try {
      values = JSON.parse(current.stdout || 'null') ?? {};
    } catch {
      values = undefined;
    }
    if (current.code === 0 && isDeepStrictEqual(values, JSON.parse(JSON.stringify(r.values)))) {
      runner.note(`${r.release} ${r.version} is deployed with these values`);
      return;
    }
  }
  if (listed?.status === 'pending-install') {
    // An interrupted first install (Ctrl-C): nothing to keep, and helm refuses to upgrade it.
    await runner.exec(helm, ['uninstall', r.release, ...scope, '--wait']);
  } else if (listed && /^pending-(upgrade|rollback)$/.test(listed.status)) {
    await runner.exec(helm, ['rollback', r.release, ...scope, '--wait']);
  }
  const sets = Object.entries(r.values).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
  await runner.exec(helm, ['upgrade', '--install', r.release, r.chart, '--version', r.version, ...scope, '--create-namespace', '--labels', OWNED, '--wait', '--timeout', r.timeout ?? '10m', ...sets]);
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runner } from '../plan.ts';
import { repoRoot } from '../versions.ts';
import { deadEnvironment } from '../../../test/support/real-cli.ts';
import { listReleases } from './helm.ts';

const helm = path.join(repoRoot, '.bin', 'helm');

function withDeadCluster(t: import('node:test').TestContext): void {
  const env = deadEnvironment(mkdtempSync(path.join(os.tmpdir(), 'dead-')));
  const saved = { ...process.env };
  Object.assign(process.env, { KUBECONFIG: env.KUBECONFIG, HOME: env.HOME, HELM_CACHE_HOME: env.HELM_CACHE_HOME, HELM_CONFIG_HOME: env.HELM_CONFIG_HOME, HELM_DATA_HOME: env.HELM_DATA_HOME });
  t.after(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
}

test('the real helm 4 accepts the list command, and a cluster it cannot reach is an error, not "no releases"', async (t) => {
  withDeadCluster(t);
  const out: string[] = [];
  const runner = new Runner({ out: { write: (s) => void out.push(s) } });
  await assert.rejects(listReleases(runner, helm, 'k3d-shopmesh'), (err: Error) => {
    assert.match(err.message, /helm list --all-namespaces -o json --kube-context k3d-shopmesh/);
    assert.match(err.message, /cluster unreachable/);
    assert.doesNotMatch(err.message, /unknown flag/);
    return true;
  });
});

test('a dry run plans for a cluster that may not exist yet: no releases, and it says why', async (t) => {
  withDeadCluster(t);
  const out: string[] = [];
  const dry = new Runner({ dryRun: true, out: { write: (s) => void out.push(s) } });
  assert.deepEqual(await listReleases(dry, helm, 'k3d-shopmesh'), []);
  assert.match(out.join(''), /helm could not list the releases, so the plan assumes none: .*cluster unreachable/);
});

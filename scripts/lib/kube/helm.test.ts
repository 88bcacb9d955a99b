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

test('on a shared cluster (microk8s) a release shopmesh did not install is refused by name; on the sandbox\'s own cluster it is adopted and marked', async (t) => {
  const { StubBin, mutatingCalls } = await import('../../../test/support/stubs.ts');
  const { helmUpgradeInstall } = await import('./helm.ts');
  const stubs = new StubBin({ releases: [{ name: 'istiod', namespace: 'istio-system', status: 'deployed', chart: 'istiod-1.29.0', values: {} }] });
  t.after(stubs.install());
  const release = { release: 'istiod', chart: 'oci://ghcr.io/istio/release/charts/istiod', version: '1.31.1', namespace: 'istio-system', values: { profile: 'demo' } };
  const quiet = { write() {} };
  await assert.rejects(helmUpgradeInstall(new Runner({ out: quiet }), 'helm', 'microk8s', release, { ownsCluster: false }), (err: Error & { hint?: string }) => {
    assert.match(err.message, /refusing to change the Helm release istiod in istio-system \(chart istiod-1\.29\.0\): shopmesh did not install it \(it has no app\.kubernetes\.io\/managed-by=shopmesh label\), so it is yours/);
    return true;
  });
  assert.deepEqual(mutatingCalls(stubs.calls()), []);
  await helmUpgradeInstall(new Runner({ out: quiet }), 'helm', 'k3d-shopmesh', release, { ownsCluster: true });
  assert.match(mutatingCalls(stubs.calls())[0] ?? '', /^helm upgrade --install istiod .* --labels app\.kubernetes\.io\/managed-by=shopmesh --wait/);
  // Once marked, the shared cluster accepts it as shopmesh's.
  await helmUpgradeInstall(new Runner({ out: quiet }), 'helm', 'microk8s', { ...release, values: { profile: 'minimal' } }, { ownsCluster: false });
  assert.equal(mutatingCalls(stubs.calls()).length, 2);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runner } from '../plan.ts';
import { StubBin, mutatingCalls } from '../../../test/support/stubs.ts';
import { k3dProvider } from './k3d.ts';
import { kindProvider } from './kind.ts';
import { microk8sProvider } from './microk8s.ts';

function capture() {
  let text = '';
  return { out: { write: (t: string) => void (text += t) }, text: () => text };
}

function stubbed(t: import('node:test').TestContext, state: ConstructorParameters<typeof StubBin>[0]): StubBin {
  const stubs = new StubBin(state);
  t.after(stubs.install());
  return stubs;
}

for (const provider of [k3dProvider, kindProvider]) {
  test(`${provider.name}: with Docker down, down and status cannot look, and say so instead of "nothing to delete"`, async (t) => {
    const stubs = stubbed(t, { dockerDown: true, k3dClusters: [{ name: 'shopmesh', serversCount: 1, serversRunning: 1 }], kindClusters: ['shopmesh'] });
    await assert.rejects(provider.down(new Runner({ out: capture().out }), {}, { all: true }), (err: Error & { hint?: string }) => {
      assert.match(err.message, /could not look, so shopmesh cannot tell what exists: .*(Cannot connect to the Docker daemon|failed to list clusters)/);
      assert.match(err.hint ?? '', /npm run doctor/);
      return true;
    });
    await assert.rejects(provider.clusterState(new Runner({ out: capture().out }), {}), /could not look/);
    assert.deepEqual(mutatingCalls(stubs.calls()), []);
  });

  test(`${provider.name}: a dry run without Docker states its assumption and still shows the plan`, async (t) => {
    stubbed(t, { dockerDown: true });
    const c = capture();
    const dry = new Runner({ dryRun: true, out: c.out });
    await provider.up(dry, {});
    assert.match(c.text(), /could not look: .*; the plan assumes nothing exists yet/);
    assert.ok(dry.plan.some((l) => /cluster create|create cluster/.test(l)), dry.plan.join('\n'));
  });
}

test('microk8s: a dry run on a machine without microk8s says so and shows the whole plan of a fresh install', async (t) => {
  stubbed(t, {});
  const c = capture();
  const dry = new Runner({ dryRun: true, out: c.out });
  await microk8sProvider.up(dry, {});
  assert.match(c.text(), /microk8s is not installed on this machine \(up does not install it: sudo snap install microk8s/);
  assert.deepEqual(dry.plan.slice(0, 5), ['$ microk8s start', '$ microk8s status --wait-ready --timeout 300', '$ microk8s enable dns', '$ microk8s enable registry', '$ microk8s enable hostpath-storage']);
  // A real run stops with the install command.
  await assert.rejects(microk8sProvider.up(new Runner({ out: capture().out }), {}), /microk8s is not installed/);
});

test('an interrupted create is recovered: a missing context is exported again, a dead API server means a new cluster', async (t) => {
  const home = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'home-'));
  const kubeconfig = `${home}/config`;
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = kubeconfig;
  t.after(() => (saved === undefined ? delete process.env.KUBECONFIG : (process.env.KUBECONFIG = saved)));
  const { recoverExistingCluster } = await import('./recover.ts');
  const { writeFileSync } = await import('node:fs');

  // k3d: the node runs, the context never reached the kubeconfig, the API server answers.
  let stubs = stubbed(t, { k3dClusters: [{ name: 'shopmesh', serversCount: 1, serversRunning: 1 }] });
  const c = capture();
  await k3dProvider.up(new Runner({ out: c.out }), {});
  assert.match(c.text(), /k3d-shopmesh is not in your kubeconfig \(an interrupted create\?\): writing it again/);
  assert.ok(mutatingCalls(stubs.calls()).includes('k3d kubeconfig merge shopmesh --kubeconfig-merge-default --kubeconfig-switch-context=false'));
  assert.ok(!mutatingCalls(stubs.calls()).some((l) => l.startsWith('k3d cluster delete')));

  // kind: the context is there, but the API server never came up: delete and create again.
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: kind-shopmesh, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: kind-shopmesh, user: {token: x}}]\ncontexts: [{name: kind-shopmesh, context: {cluster: kind-shopmesh, user: kind-shopmesh}}]\ncurrent-context: kind-shopmesh\n');
  stubs = stubbed(t, { kindClusters: ['shopmesh'], containers: { 'shopmesh-control-plane': { running: true, networks: ['kind'] } }, apiUnhealthy: true });
  const k = capture();
  const runner = new Runner({ out: k.out });
  await recoverExistingCluster(runner, {
    context: 'kind-shopmesh',
    kubectl: 'kubectl',
    attempts: 2,
    pauseMs: 10,
    exportKubeconfig: async () => assert.fail('the context exists'),
    recreate: async () => void (await runner.exec('kind', ['delete', 'cluster', '--name', 'shopmesh'])),
  });
  assert.match(k.text(), /the API server of kind-shopmesh does not answer after 2 tries \(a half-created cluster\?\): deleting and recreating it/);
  assert.deepEqual(mutatingCalls(stubs.calls()), ['kind delete cluster --name shopmesh']);
});

test('microk8s: down --all disables only the addons up enabled, as its record in the cluster says', async (t) => {
  const stubs = stubbed(t, { microk8s: { running: true, addons: ['dns', 'registry', 'hostpath-storage'] }, sandboxRecord: { httpPort: '30080', addedByUp: 'hostpath-storage,registry' } });
  const c = capture();
  await microk8sProvider.down(new Runner({ out: c.out }), {}, { all: true });
  assert.deepEqual(mutatingCalls(stubs.calls()).filter((l) => l.startsWith('microk8s')), ['microk8s disable registry', 'microk8s disable hostpath-storage']);
  assert.match(c.text(), /kept the dns addon: up did not enable it/);
  // No record (a sandbox from before, or someone else's microk8s): no addon is touched.
  const bare = stubbed(t, { microk8s: { running: true, addons: ['dns', 'registry'] } });
  await microk8sProvider.down(new Runner({ out: capture().out }), {}, { all: true });
  assert.deepEqual(mutatingCalls(bare.calls()).filter((l) => l.startsWith('microk8s')), []);
});

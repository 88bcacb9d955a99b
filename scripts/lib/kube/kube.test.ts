import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Runner } from '../plan.ts';
import { FixableError } from '../cli.ts';
import { loadSandboxKubeConfig } from './client.ts';
import { serverSideApply, deleteObjects, readObject, applyOrder } from './apply.ts';
import { waitForRollouts, waitForCrdsEstablished } from './wait.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import type { KubeObject } from './render.ts';

const quiet = { write() {} };

test('the guard refuses a foreign current context and names it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guard-'));
  const file = path.join(dir, 'config');
  writeFileSync(
    file,
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'prod-eu-1',
      clusters: [{ name: 'prod', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'prod-eu-1', context: { cluster: 'prod', user: 'u' } }, { name: 'k3d-shopmesh', context: { cluster: 'prod', user: 'u' } }],
    }),
  );
  assert.throws(() => loadSandboxKubeConfig({ kubeconfig: file }), (err: Error) => err instanceof FixableError && /prod-eu-1/.test(err.message));
  assert.throws(() => loadSandboxKubeConfig({ kubeconfig: file, context: 'docker-desktop' }), /docker-desktop/);
  const ok = loadSandboxKubeConfig({ kubeconfig: file, context: 'k3d-shopmesh' });
  assert.equal(ok.provider, 'k3d');
  assert.equal(ok.kc.getCurrentContext(), 'k3d-shopmesh');
  assert.throws(() => loadSandboxKubeConfig({ kubeconfig: file, context: 'kind-shopmesh' }), /not in your kubeconfig/);
});

test('applyOrder puts CRDs and namespaces before what lives in them', () => {
  const objs = [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'shop' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'x.y' } },
  ] as KubeObject[];
  assert.deepEqual(applyOrder(objs).map((o) => o.kind), ['CustomResourceDefinition', 'Namespace', 'Deployment']);
});

test('server-side apply, read, wait and delete against the fake API server', async (t) => {
  const server = new FakeApiServer();
  await server.start();
  t.after(() => server.stop());
  const kubeconfig = server.writeKubeconfig(['k3d-shopmesh'], 'k3d-shopmesh');
  const { kc } = loadSandboxKubeConfig({ kubeconfig });
  const runner = new Runner({ out: quiet });
  const objects: KubeObject[] = [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'users-v1', namespace: 'shop' }, spec: { replicas: 2 } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
  ];
  await serverSideApply(runner, kc, objects, { fieldManager: 'shopmesh' });
  const applies = server.requests.filter((r) => r.method === 'PATCH');
  assert.deepEqual(applies.map((r) => r.path), ['/api/v1/namespaces/shop', '/apis/apps/v1/namespaces/shop/deployments/users-v1']);
  assert.ok(applies.every((r) => r.fieldManager === 'shopmesh' && r.force === true && r.contentType?.includes('apply-patch')));
  assert.equal((await readObject(kc, { apiVersion: 'v1', kind: 'Namespace', name: 'shop' }))?.metadata.name, 'shop');
  assert.equal(await readObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'nope' }), undefined);

  const progress: string[] = [];
  await waitForRollouts(runner, kc, 'shop', { timeoutMs: 5000, intervalMs: 10, onProgress: (m) => progress.push(m) });
  assert.match(progress.at(-1)!, /1\/1 deployments available \(users-v1 2\/2\)/);

  server.seed({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'certificates.cert-manager.io' } });
  await waitForCrdsEstablished(runner, kc, ['certificates.cert-manager.io'], { timeoutMs: 5000, intervalMs: 10 });

  await deleteObjects(runner, kc, [
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'users-v1' },
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'already-gone' },
  ]);
  assert.equal(server.get('apps/v1', 'Deployment', 'users-v1', 'shop'), undefined);
  assert.equal(runner.plan.filter((l) => l.startsWith('api: delete')).length, 2);
});

test('a rollout that never becomes available times out with the names of the stuck Deployments', async (t) => {
  const server = new FakeApiServer({ autoReady: false });
  await server.start();
  t.after(() => server.stop());
  const { kc } = loadSandboxKubeConfig({ kubeconfig: server.writeKubeconfig(['kind-shopmesh'], 'kind-shopmesh') });
  server.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'orders-v1', namespace: 'shop' }, spec: { replicas: 1 } });
  await assert.rejects(waitForRollouts(new Runner({ out: quiet }), kc, 'shop', { timeoutMs: 50, intervalMs: 10 }), /orders-v1/);
});

test('in dry-run, apply and waits are recorded in the plan and nothing is sent', async () => {
  const runner = new Runner({ dryRun: true, out: quiet });
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  await serverSideApply(runner, kc, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } }], { fieldManager: 'shopmesh' });
  await waitForRollouts(runner, kc, 'shop', { timeoutMs: 1000 });
  assert.deepEqual(runner.plan, ['api: server-side apply v1 ConfigMap shop/c (field manager shopmesh)', 'api: wait for every Deployment in shop to be available (up to 1s)']);
});

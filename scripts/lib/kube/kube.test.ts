import { after, before, test } from 'node:test';
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
import { auditSince, markDeploymentsAvailable, pathOf, queryOf, seed, seedNamespace, startTestApiServer, writes, type LocalApiServer } from '../../../test/support/apiserver.ts';
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

// One real API server (etcd + kube-apiserver with the real CRDs) for the tests below; each uses
// its own namespace.
let api: LocalApiServer;
before(async () => {
  api = await startTestApiServer({ contexts: ['k3d-shopmesh', 'kind-shopmesh'] });
});
after(() => api?.stop());

test('server-side apply, read, wait and delete against the real API server', async () => {
  const ns = 'kube-test-apply';
  const { kc } = loadSandboxKubeConfig({ kubeconfig: api.kubeconfig, context: 'k3d-shopmesh' });
  const runner = new Runner({ out: quiet });
  const objects: KubeObject[] = [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'users-v1', namespace: ns }, spec: { replicas: 2, selector: { matchLabels: { app: 'users' } }, template: { metadata: { labels: { app: 'users' } }, spec: { containers: [{ name: 'users', image: 'shopmesh/users' }] } } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  ];
  const mark = api.auditEvents().length;
  await serverSideApply(runner, kc, objects, { fieldManager: 'shopmesh' });
  const applies = writes(await auditSince(api, mark, (e) => writes(e).length >= 2));
  assert.deepEqual(applies.map(pathOf), [`/api/v1/namespaces/${ns}`, `/apis/apps/v1/namespaces/${ns}/deployments/users-v1`]);
  assert.ok(applies.every((e) => e.verb === 'patch' && queryOf(e).get('fieldManager') === 'shopmesh' && queryOf(e).get('force') === 'true'));
  const deployment = await readObject(kc, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'users-v1' });
  const managers = (deployment?.metadata.managedFields as Array<{ manager: string; operation: string }>).map((m) => `${m.manager}/${m.operation}`);
  assert.deepEqual(managers, ['shopmesh/Apply'], 'server-side apply, owned by the field manager shopmesh');
  assert.equal((await readObject(kc, { apiVersion: 'v1', kind: 'Namespace', name: ns }))?.metadata.name, ns);
  assert.equal(await readObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'nope' }), undefined);

  // A second apply of the same objects changes nothing: same resourceVersion.
  const before = deployment?.metadata.resourceVersion;
  await serverSideApply(runner, kc, objects, { fieldManager: 'shopmesh' });
  assert.equal((await readObject(kc, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'users-v1' }))?.metadata.resourceVersion, before);

  assert.deepEqual(await markDeploymentsAvailable(api, ns), ['users-v1']);
  const progress: string[] = [];
  await waitForRollouts(runner, kc, ns, { timeoutMs: 5000, intervalMs: 50, onProgress: (m) => progress.push(m) });
  assert.match(progress.at(-1)!, /1\/1 deployments available \(users-v1 2\/2\)/);

  await waitForCrdsEstablished(runner, kc, ['certificates.cert-manager.io', 'virtualservices.networking.istio.io', 'httproutes.gateway.networking.k8s.io'], { timeoutMs: 5000, intervalMs: 50 });

  await deleteObjects(runner, kc, [
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'users-v1' },
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'already-gone' },
  ]);
  assert.equal(await readObject(kc, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'users-v1' }), undefined);
  assert.equal(runner.plan.filter((l) => l.startsWith('api: delete')).length, 2);
});

test('a rollout that never becomes available times out with the names of the stuck Deployments', async () => {
  const ns = 'kube-test-stuck';
  const { kc } = loadSandboxKubeConfig({ kubeconfig: api.kubeconfig, context: 'kind-shopmesh' });
  await seedNamespace(api, ns);
  await seed(api, `/apis/apps/v1/namespaces/${ns}/deployments/orders-v1`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'orders-v1', namespace: ns }, spec: { replicas: 1, selector: { matchLabels: { app: 'orders' } }, template: { metadata: { labels: { app: 'orders' } }, spec: { containers: [{ name: 'orders', image: 'shopmesh/orders' }] } } } });
  await assert.rejects(waitForRollouts(new Runner({ out: quiet }), kc, ns, { timeoutMs: 300, intervalMs: 50 }), /orders-v1/);
});

test('a CRD that never appears times out with its name', async () => {
  const { kc } = loadSandboxKubeConfig({ kubeconfig: api.kubeconfig, context: 'k3d-shopmesh' });
  await assert.rejects(waitForCrdsEstablished(new Runner({ out: quiet }), kc, ['certificates.cert-manager.io', 'widgets.example.com'], { timeoutMs: 300, intervalMs: 50 }), /timed out waiting for CRDs: widgets\.example\.com$/);
});

test('the server judges what it is sent: Pod Security, the CRDs\' schemas and CEL rules, strict fields', async () => {
  const ns = 'kube-test-admission';
  await seedNamespace(api, ns, { 'pod-security.kubernetes.io/enforce': 'restricted' });
  // An injected pod as istio-init needs it without the CNI plugin: NET_ADMIN, NET_RAW, root.
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'injected', namespace: ns },
    spec: {
      initContainers: [{ name: 'istio-init', image: 'istio/proxyv2', securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, runAsUser: 0, runAsNonRoot: false } }],
      containers: [{ name: 'app', image: 'shopmesh/users' }],
    },
  };
  const rejected = await api.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, pod);
  assert.equal(rejected.status, 403);
  assert.match(rejected.body.message, /violates PodSecurity "restricted:latest".*"istio-init".*NET_ADMIN/);

  const vs = (spec: unknown) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'products', namespace: ns }, spec });
  const strict = await api.request('POST', `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices?dryRun=All&fieldValidation=Strict`, vs({ hosts: ['products'], http: [{ rout: [] }] }));
  assert.equal(strict.status, 400);
  assert.match(strict.body.message, /unknown field "spec\.http\[0\]\.rout"/);

  // A Gateway API CEL rule: an HTTPRoute path match of type PathPrefix must start with "/".
  const route = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'bad', namespace: ns }, spec: { rules: [{ matches: [{ path: { type: 'PathPrefix', value: 'api' } }] }] } };
  const cel = await api.request('POST', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes?dryRun=All`, route);
  assert.equal(cel.status, 422);
  assert.match(cel.body.message, /value must be an absolute path and start with '\/' when type one of \['Exact', 'PathPrefix'\]/);

  // cert-manager's schema: a Certificate needs an issuerRef.
  const cert = await api.request('POST', `/apis/cert-manager.io/v1/namespaces/${ns}/certificates?dryRun=All`, { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c', namespace: ns }, spec: { secretName: 's' } });
  assert.equal(cert.status, 422);
  assert.match(cert.body.message, /spec\.issuerRef: Required value/);
});

test('in dry-run, apply and waits are recorded in the plan and nothing is sent', async () => {
  const runner = new Runner({ dryRun: true, out: quiet });
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  await serverSideApply(runner, kc, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } }], { fieldManager: 'shopmesh' });
  await waitForRollouts(runner, kc, 'shop', { timeoutMs: 1000 });
  assert.deepEqual(runner.plan, ['api: server-side apply v1 ConfigMap shop/c (field manager shopmesh)', 'api: wait for every Deployment in shop to be available (up to 1s)']);
});

// Each preflight failure gives its message and a non-zero exit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { doctor } from './doctor.ts';
import { status } from './status.ts';
import { StubBin } from '../test/support/stubs.ts';
import { version } from './lib/versions.ts';
import { seed, seedNamespace, startTestApiServer, type LocalApiServer } from '../test/support/apiserver.ts';

function capture() {
  let text = '';
  return { out: { write: (t: string) => void (text += t) }, text: () => text };
}

function withStubs(t: import('node:test').TestContext, state: object): StubBin {
  const stubs = new StubBin(state);
  t.after(stubs.install());
  return stubs;
}

test('no Docker: the message, the fix, exit 1', async (t) => {
  withStubs(t, { dockerDown: true });
  const c = capture();
  assert.equal(await doctor(['--provider', 'kind'], { out: c.out, preflight: { ports: [] } }), 1);
  assert.match(c.text(), /✗ Docker daemon is not reachable( \([^)]*\))?: Cannot connect to the Docker daemon/);
  assert.match(c.text(), /fix: (start it|start Docker Desktop)/);
});

test('a busy port: the message naming it, how to find the holder, exit 1', async (t) => {
  withStubs(t, {});
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => holder.close(() => r())));
  const port = (holder.address() as AddressInfo).port;
  const c = capture();
  assert.equal(await doctor(['--provider', 'k3d'], { out: c.out, preflight: { ports: [port] } }), 1);
  assert.match(c.text(), new RegExp(`✗ port ${port} on 127\\.0\\.0\\.1 is busy`));
  assert.match(c.text(), new RegExp(`fix: see what holds it: .*${port}`));
});

test('too little memory for Docker: the message, the fix, exit 1', async (t) => {
  withStubs(t, { memTotal: 2 * 1024 ** 3 });
  const c = capture();
  assert.equal(await doctor(['--provider', 'k3d'], { out: c.out, preflight: { ports: [] } }), 1);
  assert.match(c.text(), /✗ too little memory: Docker has 2\.0 GiB; the sandbox needs at least 4 GiB/);
  assert.match(c.text(), /fix: give Docker at least 6 GiB/);
});

test('low inotify limits on Linux are warnings with the sysctl fix; a healthy machine exits 0', async (t) => {
  withStubs(t, {});
  const c = capture();
  const code = await doctor(['--provider', 'kind'], { out: c.out, preflight: { ports: [], platform: 'linux', readSysctl: (n) => (n === 'max_user_watches' ? '8192' : '1024') } });
  assert.equal(code, 0);
  assert.match(c.text(), /! fs\.inotify\.max_user_watches is 8192/);
  assert.match(c.text(), /sudo sysctl fs\.inotify\.max_user_watches=524288/);
  assert.match(c.text(), /Ready for `npm run up`/);
});

// One real API server for the status tests.
let api: LocalApiServer;
before(async () => {
  api = await startTestApiServer({ crds: false });
});
after(() => api?.stop());

/** A Pod as the kubelet would report it: created through the API, then its status written. */
async function runningPod(name: string, containers: string[], ready: boolean[]): Promise<void> {
  await seed(api, `/api/v1/namespaces/shop/pods/${name}`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' }, spec: { containers: containers.map((c) => ({ name: c, image: `shopmesh/${c}` })) } });
  const status = { phase: 'Running', containerStatuses: containers.map((c, i) => ({ name: c, image: `shopmesh/${c}`, imageID: '', ready: ready[i], restartCount: 0, started: true, state: { running: { startedAt: new Date().toISOString() } } })) };
  const r = await api.request('PATCH', `/api/v1/namespaces/shop/pods/${name}/status`, { status }, 'application/merge-patch+json');
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

test('status lists pods with their ready containers, the scenario, the releases and the URLs', async (t) => {
  // Helm's answers come from the stub; the cluster's objects from the real API server.
  const stubs = withStubs(t, { k3dClusters: [{ name: 'shopmesh', serversCount: 1, serversRunning: 1 }], releases: [{ name: 'istiod', namespace: 'istio-system', status: 'deployed', chart: `istiod-${version('charts.istio')}`, values: {} }] });
  const kubeconfig = api.writeKubeconfig(['k3d-shopmesh']);
  await seedNamespace(api, 'shop', { 'istio-injection': 'enabled' });
  await seed(api, '/api/v1/namespaces/shop/configmaps/shopmesh-scenario', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shopmesh-scenario', namespace: 'shop' }, data: { name: 'canary' } });
  await runningPod('users-v1-abc', ['users', 'istio-proxy'], [true, true]);
  await runningPod('orders-v1-def', ['orders'], [true]);
  await runningPod('products-v1-ghi', ['products', 'istio-proxy'], [true, false]);
  const c = capture();
  assert.equal(await status(['--provider', 'k3d', '--kubeconfig', kubeconfig], { out: c.out }), 0);
  assert.match(c.text(), /users-v1-abc\s+2\/2\s+Running/);
  assert.match(c.text(), /orders-v1-def\s+1\/1\s+Running\s+← no sidecar/);
  assert.match(c.text(), /products-v1-ghi\s+1\/2\s+Running\s+← not ready/);
  assert.match(c.text(), /scenario\s+canary/);
  assert.match(c.text(), new RegExp(`istio\\s+${version('charts.istio').replace(/\./g, '\\.')} \\(deployed\\)`));
  assert.match(c.text(), /certs\s+cert-manager not installed/);
  assert.match(c.text(), /http:\/\/shop\.localhost:8080\//);
  // helm reads the kubeconfig status was given, not $KUBECONFIG or ~/.kube/config.
  const list = stubs.calls().find((x) => x.tool === 'helm' && x.args[0] === 'list');
  assert.deepEqual(list?.args.slice(-2), ['--kubeconfig', kubeconfig]);
});

test('status refuses a foreign kube context, and asks the API server nothing', async (t) => {
  withStubs(t, {});
  const mark = api.auditEvents().length;
  await assert.rejects(status(['--provider', 'k3d', '--kubeconfig', api.writeKubeconfig(['prod'])], { out: capture().out }), /not in your kubeconfig/);
  assert.deepEqual(api.auditEvents().slice(mark), []);
});

// Dry-run plans of up and down per provider, asserted against the stubs: printed, nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { up } from './up.ts';
import { down } from './down.ts';
import { StubBin, mutatingCalls, type StubState } from '../test/support/stubs.ts';
import { version } from './lib/versions.ts';

function capture() {
  let text = '';
  return { out: { write: (t: string) => void (text += t) }, text: () => text };
}

function withStubs(t: import('node:test').TestContext, state: StubState): StubBin {
  const stubs = new StubBin(state, '');
  const restore = stubs.install();
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = path.join(mkdtempSync(path.join(os.tmpdir(), 'nokube-')), 'config');
  t.after(() => {
    restore();
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  });
  return stubs;
}

const noBuild = async () => ({});
const deps = () => ({ tools: { root: mkdtempSync(path.join(os.tmpdir(), 'root-')) }, buildImages: noBuild, preflight: { isPortFree: async () => true } });

/** Asserts each expected line appears in the output, in this order. */
function assertInOrder(text: string, expected: Array<string | RegExp>): void {
  let from = 0;
  for (const e of expected) {
    const rest = text.slice(from);
    const m = typeof e === 'string' ? rest.indexOf(e) : rest.search(e);
    assert.ok(m >= 0, `expected ${String(e)} after position ${from} in:\n${text}`);
    from += m + 1;
  }
}

const commonTail = (ctx: string) => [
  `kubectl --context ${ctx} apply --server-side --force-conflicts --field-manager shopmesh -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${version('crds.gatewayApi')}/standard-install.yaml`,
  `helm upgrade --install istio-base ${version('charts.istioRepo')}/base --version ${version('charts.istio')} -n istio-system --kube-context ${ctx}`,
  `helm upgrade --install istio-cni ${version('charts.istioRepo')}/cni --version ${version('charts.istio')} -n istio-system --kube-context ${ctx}`,
  `helm upgrade --install istiod ${version('charts.istioRepo')}/istiod --version ${version('charts.istio')}`,
  `helm upgrade --install istio-ingress ${version('charts.istioRepo')}/gateway --version ${version('charts.istio')} -n istio-ingress`,
  `helm upgrade --install cert-manager ${version('charts.certManagerChart')} --version ${version('charts.certManager')} -n cert-manager`,
  'api: wait for CRDs to be Established: certificates.cert-manager.io',
  'api: server-side apply cert-manager.io/v1 ClusterIssuer shopmesh-selfsigned (field manager shopmesh)',
  'api: server-side apply cert-manager.io/v1 Certificate cert-manager/shopmesh-ca (field manager shopmesh)',
  'api: server-side apply cert-manager.io/v1 ClusterIssuer shopmesh-ca (field manager shopmesh)',
  'api: server-side apply v1 Namespace shop (field manager shopmesh)',
  'api: server-side apply v1 Secret shop/users-jwt-keys (field manager shopmesh)',
  'api: wait for every Deployment in shop to be available',
  'api: smoke check through the gateway: GET http://127.0.0.1:',
];

test('dry-run plan of up with k3d: registry, cluster from a generated config, then the mesh and the shop', async (t) => {
  const stubs = withStubs(t, {});
  const c = capture();
  assert.equal(await up(['--provider', 'k3d', '--dry-run', '--addons', 'kiali'], { ...deps(), out: c.out }), 0);
  assertInOrder(c.text(), [
    `$ k3d registry create shopmesh-registry.localhost --port 127.0.0.1:5050 --image ${version('images.registry')}`,
    /api: write .*k3d-shopmesh\.yaml/,
    /\$ k3d cluster create --config \S+k3d-shopmesh\.yaml --wait/,
    ...commonTail('k3d-shopmesh').slice(0, 10),
    `-f https://raw.githubusercontent.com/istio/istio/${version('charts.istio')}/samples/addons/kiali.yaml`,
    ...commonTail('k3d-shopmesh').slice(10),
  ]);
  assert.deepEqual(mutatingCalls(stubs.calls()), []);
  assert.deepEqual(stubs.state(), {});
});

test('dry-run plan of up with kind: registry container, cluster on stdin, hosts.toml, network, ConfigMap', async (t) => {
  const stubs = withStubs(t, {});
  const c = capture();
  assert.equal(await up(['--provider', 'kind', '--dry-run'], { ...deps(), out: c.out }), 0);
  assertInOrder(c.text(), [
    '$ docker run -d --restart=always -p 127.0.0.1:5050:5000 --network bridge --name shopmesh-registry',
    '$ kind create cluster --name shopmesh --config - --wait 120s <<stdin',
    '$ docker exec -i shopmesh-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5050/hosts.toml <<stdin',
    '$ docker network connect kind shopmesh-registry',
    'api: server-side apply v1 ConfigMap kube-public/local-registry-hosting (field manager shopmesh)',
    ...commonTail('kind-shopmesh'),
  ]);
  assert.match(c.text(), /istio-ingress .*"type":"NodePort"/);
  assert.deepEqual(mutatingCalls(stubs.calls()), []);
});

test('dry-run plan of up with microk8s: only the missing addons, never the istio addon, Istio from Helm', async (t) => {
  const stubs = withStubs(t, { microk8s: { running: true, addons: ['dns'] } });
  const c = capture();
  assert.equal(await up(['--provider', 'microk8s', '--dry-run'], { ...deps(), out: c.out }), 0);
  assertInOrder(c.text(), ['dns enabled', '$ microk8s enable registry', '$ microk8s enable hostpath-storage', 'api: merge the microk8s context into', ...commonTail('microk8s').slice(0, 4)]);
  assert.doesNotMatch(c.text(), /microk8s enable (istio|ingress)/);
  assert.match(c.text(), /GET http:\/\/127\.0\.0\.1:30080\/api\/users\/1/);
  assert.deepEqual(mutatingCalls(stubs.calls()), []);
});

test('dry-run plans of down per provider name exactly what would be deleted', async (t) => {
  const stubs = withStubs(t, {
    k3dClusters: [{ name: 'shopmesh', serversCount: 1, serversRunning: 1 }],
    k3dRegistries: [{ name: 'k3d-shopmesh-registry.localhost' }],
    kindClusters: ['shopmesh'],
    containers: { 'shopmesh-registry': { running: true, networks: ['bridge', 'kind'] }, 'shopmesh-control-plane': { running: true, networks: ['kind'] } },
    microk8s: { running: true, addons: ['dns', 'registry'] },
    // On microk8s, the user's cluster: shopmesh's own release and namespaces carry its label, cert-manager is theirs.
    releases: [
      { name: 'istiod', namespace: 'istio-system', status: 'deployed', chart: 'istiod-1.31.1', values: {}, labels: { 'app.kubernetes.io/managed-by': 'shopmesh' } },
      { name: 'cert-manager', namespace: 'cert-manager', status: 'deployed', chart: 'cert-manager-v1.20.0', values: {} },
    ],
    namespaces: { shop: { 'app.kubernetes.io/managed-by': 'shopmesh' }, 'istio-system': { 'app.kubernetes.io/managed-by': 'shopmesh' }, 'cert-manager': {} },
    crds: { 'gateways.gateway.networking.k8s.io': 'v1.6.1' },
    ownedCrds: ['gateways.gateway.networking.k8s.io'],
  });
  const before = stubs.state();
  const k3d = capture();
  await down(['--provider', 'k3d', '--dry-run'], { out: k3d.out });
  assert.match(k3d.text(), /\$ k3d cluster delete shopmesh/);
  assert.doesNotMatch(k3d.text(), /registry delete/);
  const k3dAll = capture();
  await down(['--provider', 'k3d', '--all', '--dry-run'], { out: k3dAll.out });
  assertInOrder(k3dAll.text(), ['$ k3d cluster delete shopmesh', '$ k3d registry delete k3d-shopmesh-registry.localhost']);
  const kind = capture();
  await down(['--provider', 'kind', '--all', '--dry-run'], { out: kind.out });
  assertInOrder(kind.text(), ['$ kind delete cluster --name shopmesh', '$ docker rm -f shopmesh-registry']);
  const mk = capture();
  await down(['--provider', 'microk8s', '--dry-run'], { out: mk.out });
  assertInOrder(mk.text(), [
    'kept the Helm release cert-manager in cert-manager: shopmesh did not install it',
    '$ helm uninstall istiod -n istio-system --kube-context microk8s',
    'kept namespace cert-manager: shopmesh did not create it',
    '$ kubectl --context microk8s delete namespace shop istio-system --ignore-not-found',
    '$ kubectl --context microk8s delete customresourcedefinition.apiextensions.k8s.io/gateways.gateway.networking.k8s.io --ignore-not-found',
  ]);
  assert.doesNotMatch(mk.text(), /helm uninstall cert-manager|delete namespace .*cert-manager/);
  assert.doesNotMatch(mk.text(), /microk8s (reset|stop|disable)/);
  assert.deepEqual(mutatingCalls(stubs.calls()), []);
  assert.deepEqual(stubs.state(), before);
});

test('--help prints the options and changes nothing', async (t) => {
  const stubs = withStubs(t, {});
  const c = capture();
  assert.equal(await up(['--help'], { out: c.out }), 0);
  assert.match(c.text(), /--provider <value>.*one of: k3d, kind, microk8s/);
  assert.match(c.text(), /--dry-run/);
  assert.deepEqual(stubs.calls(), []);
});

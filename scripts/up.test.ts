import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { up } from './up.ts';
import { down } from './down.ts';
import { readObject } from './lib/kube/apply.ts';
import { auditSince, kubeConfigOf, pathOf, playDeploymentController, queryOf, seedNamespace, startTestApiServer, writes, type LocalApiServer } from '../test/support/apiserver.ts';
import { StubBin, mutatingCalls } from '../test/support/stubs.ts';
import { version } from './lib/versions.ts';

// What the stub kubectl renders for the shop: a namespace judged by Pod Security, and one Deployment
// the real API server accepts (selector, labels, a restricted-compliant pod).
const SHOP =
  YAML.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/enforce': 'restricted' } } }) +
  '---\n' +
  YAML.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'users-v1', namespace: 'shop', labels: { app: 'users', version: 'v1' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'users', version: 'v1' } },
      template: {
        metadata: { labels: { app: 'users', version: 'v1' } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'users', image: 'shopmesh/users', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
        },
      },
    },
  });

// One real API server for the file. The up flows write the sandbox's fixed names (shop,
// cert-manager, …), so each test asserts what its own run did (from the audit log), not a fresh state.
let api: LocalApiServer;
let stopController: () => Promise<void> = async () => {};
before(async () => {
  api = await startTestApiServer({ contexts: ['k3d-shopmesh', 'kind-shopmesh'] });
  // What the Helm charts would have created (the stub helm installs nothing).
  for (const ns of ['istio-system', 'istio-ingress', 'cert-manager']) await seedNamespace(api, ns);
  // No controller-manager: the test plays the Deployment controller for the shop.
  stopController = playDeploymentController(api, 'shop', { intervalMs: 100 });
});
after(async () => {
  await stopController();
  await api?.stop();
});

function capture() {
  let text = '';
  return { out: { write: (t: string) => void (text += t) }, text: () => text };
}

async function gateway(t: import('node:test').TestContext): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    const ok = req.headers.host === 'shop.localhost' && ['/api/users/1', '/api/products/101', '/api/orders/5001'].includes(req.url ?? '');
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function sandbox(t: import('node:test').TestContext, provider: 'k3d' | 'kind') {
  const stubs = new StubBin({}, SHOP);
  const restore = stubs.install();
  const savedKubeconfig = process.env.KUBECONFIG;
  process.env.KUBECONFIG = api.writeKubeconfig([`${provider}-shopmesh`]);
  process.env.SHOPMESH_CACHE_DIR = mkdtempSync(path.join(os.tmpdir(), 'cache-'));
  t.after(() => {
    restore();
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
  });
  const gw = await gateway(t);
  const builds: Array<{ pushRegistry: string; clusterRegistry: string }> = [];
  const deps = {
    tools: { root: mkdtempSync(path.join(os.tmpdir(), 'root-')) },
    gatewayUrl: gw.url,
    pollIntervalMs: 50,
    preflight: { isPortFree: async () => true },
    buildImages: async (_runner: unknown, opts: { pushRegistry: string; clusterRegistry: string }) => {
      builds.push(opts);
      return { users: `${opts.clusterRegistry}/shopmesh/users:c0ffee` };
    },
  };
  const kc = kubeConfigOf(process.env.KUBECONFIG);
  return { stubs, gw, builds, deps, kc };
}

/** down puts the pinned tools in .bin/ first on PATH; the stubs are handed to it by path instead. */
function stubTools(stubs: StubBin): { k3d: string; kind: string } {
  return { k3d: path.join(stubs.dir, 'k3d'), kind: path.join(stubs.dir, 'kind') };
}

/** Every object in the namespaces and cluster-scoped kinds up writes to, by uid. */
async function inventory(): Promise<string[]> {
  const paths = ['/api/v1/namespaces', '/apis/cert-manager.io/v1/clusterissuers', ...['shop', 'cert-manager', 'istio-system', 'kube-public'].flatMap((ns) => [
    `/api/v1/namespaces/${ns}/secrets`, `/api/v1/namespaces/${ns}/configmaps`, `/apis/apps/v1/namespaces/${ns}/deployments`,
    `/apis/cert-manager.io/v1/namespaces/${ns}/certificates`, `/apis/telemetry.istio.io/v1/namespaces/${ns}/telemetries`,
  ])];
  const uids: string[] = [];
  for (const p of paths) {
    const r = await api.request<{ items: Array<{ metadata: { uid: string; name: string } }> }>('GET', p);
    assert.equal(r.status, 200, p);
    uids.push(...r.body.items.map((o) => `${p}/${o.metadata.name} ${o.metadata.uid}`));
  }
  return uids.sort();
}

test('up with k3d runs the whole flow in order, and a second run creates nothing', async (t) => {
  const { stubs, gw, builds, deps, kc } = await sandbox(t, 'k3d');
  const auditMark = api.auditEvents().length;
  const first = capture();
  assert.equal(await up(['--provider', 'k3d', '--addons', 'jaeger'], { ...deps, out: first.out }), 0);

  const v = version('charts.istio');
  assert.deepEqual(
    mutatingCalls(stubs.calls()).map((l) => l.replace(/--config \S+/, '--config <file>')),
    [
      `k3d registry create shopmesh-registry.localhost --port 127.0.0.1:5050 --image ${version('images.registry')}`,
      'k3d cluster create --config <file> --wait --timeout 300s',
      `kubectl --context k3d-shopmesh apply --server-side --force-conflicts --field-manager shopmesh -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${version('crds.gatewayApi')}/standard-install.yaml`,
      `kubectl --context k3d-shopmesh label --overwrite -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${version('crds.gatewayApi')}/standard-install.yaml app.kubernetes.io/managed-by=shopmesh`,
      ...['istio-base', 'istio-cni', 'istiod', 'istio-ingress', 'cert-manager'].map((r) => mutatingCalls(stubs.calls()).find((l) => l.startsWith(`helm upgrade --install ${r} `))!),
      `kubectl --context k3d-shopmesh apply --server-side --force-conflicts --field-manager shopmesh -f https://raw.githubusercontent.com/istio/istio/${v}/samples/addons/jaeger.yaml`,
    ],
  );
  const helmCalls = mutatingCalls(stubs.calls()).filter((l) => l.startsWith('helm upgrade'));
  assert.equal(helmCalls.length, 5);
  assert.ok(helmCalls.every((l) => l.includes('--kube-context k3d-shopmesh') && l.includes('--wait') && l.includes('--labels app.kubernetes.io/managed-by=shopmesh')));
  // Istio CNI with k3d's paths, and injection without istio-init, so meshed pods pass Pod Security "restricted".
  assert.match(helmCalls[1]!, /istio-cni oci:\/\/\S+\/cni .*-n istio-system .*global=\{"platform":"k3d"\}/);
  assert.match(helmCalls[2]!, /istiod .*pilot=\{[^ ]*"cni":\{"enabled":true\}/);
  assert.match(helmCalls[3]!, /istio-ingress oci:\/\/\S+\/gateway .*-n istio-ingress .*service=\{"type":"LoadBalancer"\}/);
  assert.match(helmCalls[4]!, /crds=\{"enabled":true\}/);

  const state = stubs.state();
  const k3dConfig = YAML.parse(state.k3dConfig!) as Record<string, any>;
  assert.equal(k3dConfig.apiVersion, 'k3d.io/v1alpha5');
  assert.equal(k3dConfig.image, version('images.k3s'));
  assert.deepEqual(k3dConfig.ports.map((p: { port: string }) => p.port), ['127.0.0.1:8080:80', '127.0.0.1:8443:443']);
  assert.deepEqual(k3dConfig.registries.use, ['k3d-shopmesh-registry.localhost:5050']);
  assert.equal(k3dConfig.options.k3s.extraArgs[0].arg, '--disable=traefik');

  // The API calls of this run, from the real server's audit log.
  const events = await auditSince(api, auditMark, (e) => writes(e).some((x) => pathOf(x) === '/apis/apps/v1/namespaces/shop/deployments/users-v1'));
  const applies = writes(events).filter((e) => e.user.username === 'shopmesh-tester' && !e.objectRef?.subresource);
  const applied = applies.map(pathOf);
  for (const p of ['/apis/cert-manager.io/v1/clusterissuers/shopmesh-selfsigned', '/apis/cert-manager.io/v1/namespaces/cert-manager/certificates/shopmesh-ca', '/apis/cert-manager.io/v1/clusterissuers/shopmesh-ca', '/apis/telemetry.istio.io/v1/namespaces/istio-system/telemetries/mesh-default', '/api/v1/namespaces/shop', '/api/v1/namespaces/shop/secrets/users-jwt-keys', '/api/v1/namespaces/shop/secrets/shop-service-token', '/apis/apps/v1/namespaces/shop/deployments/users-v1']) {
    assert.ok(applied.includes(p), `applied ${p}`);
  }
  assert.ok(applied.indexOf('/apis/cert-manager.io/v1/clusterissuers/shopmesh-selfsigned') < applied.indexOf('/apis/cert-manager.io/v1/clusterissuers/shopmesh-ca'));
  // Every write is a server-side apply (PATCH with a field manager), by shopmesh, accepted.
  assert.ok(applies.every((e) => e.verb === 'patch' && queryOf(e).get('fieldManager') === 'shopmesh' && (e.responseStatus?.code ?? 0) < 300), JSON.stringify(applies.map((e) => [e.verb, e.requestURI, e.responseStatus?.code])));
  const deployment = (await readObject(kc, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'users-v1' })) as any;
  assert.equal(deployment.spec.template.spec.containers[0].image, 'k3d-shopmesh-registry.localhost:5050/shopmesh/users:c0ffee');
  assert.ok(deployment.metadata.managedFields.some((m: any) => m.manager === 'shopmesh' && m.operation === 'Apply'));
  const secret = (await readObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'users-jwt-keys' })) as any;
  assert.match(Buffer.from(secret.data['private.pem'], 'base64').toString(), /BEGIN PRIVATE KEY/);
  // The service token is made for this sandbox, never a value from the repository.
  const token = (await readObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'shop-service-token' })) as any;
  assert.match(Buffer.from(token.data.token, 'base64').toString(), /^[A-Za-z0-9_-]{43}$/);
  const ca = (await readObject(kc, { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', namespace: 'cert-manager', name: 'shopmesh-ca' })) as any;
  assert.deepEqual(ca.spec.issuerRef, { name: 'shopmesh-selfsigned', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  assert.deepEqual(builds, [{ pushRegistry: 'localhost:5050', clusterRegistry: 'k3d-shopmesh-registry.localhost:5050' }]);
  assert.deepEqual(gw.seen, ['shop.localhost /api/users/1', 'shop.localhost /api/products/101', 'shop.localhost /api/orders/5001']);
  assert.match(first.text(), /shop: 1\/1 deployments available \(users-v1 1\/1\)/);
  assert.match(first.text(), /http:\/\/shop\.localhost:8080\//);
  assert.match(first.text(), /npm run scenario:canary/);

  // Second run against the stubs' state and the same server: nothing is created, nothing changes.
  const callsBefore = stubs.calls().length;
  const objectsBefore = await inventory();
  const auditMark2 = api.auditEvents().length;
  const second = capture();
  assert.equal(await up(['--provider', 'k3d', '--addons', 'jaeger'], { ...deps, out: second.out }), 0);
  assert.deepEqual(mutatingCalls(stubs.calls().slice(callsBefore)), []);
  assert.deepEqual(await inventory(), objectsBefore);
  const secondWrites = writes(await auditSince(api, auditMark2, (e) => writes(e).some((x) => pathOf(x) === '/apis/apps/v1/namespaces/shop/deployments/users-v1'))).filter((e) => e.user.username === 'shopmesh-tester' && !e.objectRef?.subresource);
  assert.ok(secondWrites.length > 0, 'the second run re-applies');
  assert.deepEqual(secondWrites.filter((e) => e.verb === 'create' || e.responseStatus?.code === 201).map(pathOf), [], 'no object is created');
  assert.ok(!secondWrites.some((e) => pathOf(e).endsWith('/secrets/users-jwt-keys')), 'the key pair is not re-applied');
  assert.ok(!secondWrites.some((e) => pathOf(e).endsWith('/secrets/shop-service-token')), 'the service token is not re-applied');
  assert.equal(((await readObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'users-jwt-keys' })) as any).data['private.pem'], secret.data['private.pem'], 'the key pair is kept');
  assert.equal(((await readObject(kc, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'users-v1' })) as any).metadata.resourceVersion, deployment.metadata.resourceVersion, 'the Deployment is unchanged');
  assert.match(second.text(), /istiod 1\.31\.\d+ is deployed with these values|is deployed with these values/);

  // down deletes the cluster only; --all the registry too.
  const mark = stubs.calls().length;
  assert.equal(await down(['--provider', 'k3d'], { out: capture().out, tools: stubTools(stubs) }), 0);
  assert.deepEqual(mutatingCalls(stubs.calls().slice(mark)), ['k3d cluster delete shopmesh']);
  assert.deepEqual(stubs.state().k3dRegistries, [{ name: 'k3d-shopmesh-registry.localhost' }]);
  const mark2 = stubs.calls().length;
  assert.equal(await down(['--provider', 'k3d', '--all'], { out: capture().out, tools: stubTools(stubs) }), 0);
  assert.deepEqual(mutatingCalls(stubs.calls().slice(mark2)), ['k3d registry delete k3d-shopmesh-registry.localhost']);
});

test('up with kind wires the registry the way kind documents it and exposes the gateway on NodePorts', async (t) => {
  const { stubs, builds, deps, kc } = await sandbox(t, 'kind');
  assert.equal(await up(['--provider', 'kind'], { ...deps, out: capture().out }), 0);
  const calls = mutatingCalls(stubs.calls());
  assert.deepEqual(calls.slice(0, 5), [
    `docker run -d --restart=always -p 127.0.0.1:5050:5000 --network bridge --name shopmesh-registry ${version('images.registry')}`,
    'kind create cluster --name shopmesh --config - --wait 120s',
    'docker exec shopmesh-control-plane mkdir -p /etc/containerd/certs.d/localhost:5050',
    'docker exec -i shopmesh-control-plane cp /dev/stdin /etc/containerd/certs.d/localhost:5050/hosts.toml',
    'docker network connect kind shopmesh-registry',
  ]);
  const state = stubs.state();
  const kindConfig = YAML.parse(state.kindConfig!) as Record<string, any>;
  assert.equal(kindConfig.nodes[0].image, version('images.kindNode'));
  assert.deepEqual(kindConfig.nodes[0].extraPortMappings.map((m: any) => `${m.listenAddress}:${m.hostPort}->${m.containerPort}`), ['127.0.0.1:8080->30080', '127.0.0.1:8443->30443']);
  assert.match(kindConfig.containerdConfigPatches[0], /config_path = "\/etc\/containerd\/certs\.d"/);
  assert.equal(state.files!['shopmesh-control-plane:/etc/containerd/certs.d/localhost:5050/hosts.toml'], '[host."http://shopmesh-registry:5000"]\n');
  const gatewayInstall = calls.find((l) => l.startsWith('helm upgrade --install istio-ingress'))!;
  assert.match(gatewayInstall, /"type":"NodePort"/);
  assert.match(gatewayInstall, /"nodePort":30080/);
  assert.match(gatewayInstall, /"nodePort":30443/);
  const hosting = (await readObject(kc, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-public', name: 'local-registry-hosting' })) as any;
  assert.ok(hosting.metadata.managedFields.some((m: any) => m.manager === 'shopmesh' && m.operation === 'Apply'));
  assert.match(hosting.data['localRegistryHosting.v1'], /host: "localhost:5050"/);
  assert.deepEqual(builds, [{ pushRegistry: 'localhost:5050', clusterRegistry: 'localhost:5050' }]);

  const mark = stubs.calls().length;
  assert.equal(await up(['--provider', 'kind'], { ...deps, out: capture().out }), 0);
  assert.deepEqual(mutatingCalls(stubs.calls().slice(mark)), []);

  const mark2 = stubs.calls().length;
  assert.equal(await down(['--provider', 'kind', '--all'], { out: capture().out, tools: stubTools(stubs) }), 0);
  assert.deepEqual(mutatingCalls(stubs.calls().slice(mark2)), ['kind delete cluster --name shopmesh', 'docker rm -f shopmesh-registry']);
});

test('up stops at the preflight when Docker is down, before creating anything', async (t) => {
  const { stubs, deps } = await sandbox(t, 'k3d');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(stubs.stateDir, 'state.json'), JSON.stringify({ dockerDown: true }));
  await assert.rejects(up(['--provider', 'k3d'], { ...deps, out: capture().out }), /Docker daemon is not reachable/);
  assert.deepEqual(mutatingCalls(stubs.calls()), []);
});

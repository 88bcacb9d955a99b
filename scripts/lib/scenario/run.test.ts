import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runner } from '../plan.ts';
import { parseManifests, type KubeObject } from '../kube/render.ts';
import { SCENARIO_NAMES, type ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { clusterOps } from './cluster.ts';
import { runScenario, resetScenario, type ScenarioDeps } from './run.ts';
import { readRecord, refsToPrune, withRecord } from './record.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const loadtests = path.resolve(here, '../../../loadtests');
const fixture = (name: string): KubeObject[] => parseManifests(readFileSync(path.join(here, '..', '..', '..', 'test', 'fixtures', 'scenario', `${name}.yaml`), 'utf8'));

function harness(errors: { message: string }[] = []) {
  const root = mkdtempSync(path.join(tmpdir(), 'shopmesh-scenario-'));
  for (const n of SCENARIO_NAMES) mkdirSync(path.join(root, 'overlays', n), { recursive: true });
  symlinkSync(loadtests, path.join(root, 'loadtests'));
  const out: string[] = [];
  const runner = new Runner({ dryRun: true, out: { write: (t) => void out.push(t) }, interactive: false });
  const deps: ScenarioDeps = {
    check: async (dir) => ({ objects: fixture(path.basename(dir)), errors: errors as never[], warnings: [] }),
    formatFinding: (f) => (f as unknown as { message: string }).message,
    kube: () => undefined,
    ensureK6: async () => 'k6',
    cluster: { ...clusterOps, probe: async () => assert.fail('dry-run must not probe the gateway') },
    now: () => new Date('2026-09-17T10:00:00Z'),
    root,
  };
  return { root, runner, deps, text: () => out.join(''), done: () => rmSync(root, { recursive: true, force: true }) };
}

for (const name of SCENARIO_NAMES) {
  test(`dry-run plan for ${name}: render, check, apply, wait, k6, back to baseline`, async () => {
    const h = harness();
    try {
      const outcome = await runScenario(h.runner, h.deps, name as ScenarioName, { keep: false });
      assert.equal(outcome.code, 0);
      const text = h.text();
      const plan = h.runner.plan;
      assert.match(text, new RegExp(`==> render and check overlays/${name}`));
      assert.match(text, /derived expectations/);
      assert.match(text, new RegExp(`"scenario": "${name}"`));
      assert.ok(plan.some((l) => l.startsWith('api: server-side apply v1 ConfigMap shop/shopmesh-scenario (field manager shopmesh)')), 'the record is applied');
      assert.ok(plan.some((l) => l.startsWith('api: wait for every Deployment in shop')), 'rollouts are awaited');
      assert.ok(plan.some((l) => l.startsWith('api: readiness probe ')), 'the new config is proven live before the load');
      if (name === 'mtls' || name === 'authz') {
        assert.ok(plan.some((l) => /^api: server-side apply batch\/v1 Job \S+\/k6-/.test(l)), 'a k6 Job is applied');
        assert.match(text, /image: grafana\/k6:/);
        assert.match(text, /serviceAccountName: /);
        assert.ok(plan.some((l) => /^api: delete batch\/v1 Job /.test(l)), 'the Job is cleaned up');
      } else {
        const k6 = plan.find((l) => l.startsWith('$ k6 run'));
        assert.ok(k6, 'k6 runs on the host');
        assert.match(k6, new RegExp(`loadtests/${name}\\.ts$`));
        assert.match(k6, new RegExp(`SHOPMESH_EXPECT=\\{"scenario":"${name}"`));
        assert.match(k6, /SUMMARY_PATH=\S+reports\/2026-09-17T10-00-00Z-/);
        assert.match(k6, /BASE_URL=http:\/\/127\.0\.0\.1:8080/);
        assert.doesNotMatch(k6, /SSL_CERT_FILE|insecureSkipTLSVerify/);
      }
      if (name === 'tls') assert.ok(plan.some((l) => l.startsWith('api: GET https://shop.localhost:8443/ (SNI shop.localhost, CA sandbox-ca.crt)')), 'the runner verifies HTTPS against the sandbox CA itself');
      if (name === 'lb') assert.match(text, /one GET per user id \(20\)/);
      assert.match(text, /power \(each share claim/);
      if (name === 'mirror') assert.ok(plan.some((l) => /DELETE shop\/.+:9090\/admin\/stats \(/.test(l)), 'the mirror counter is reset first, with a DELETE the admin port accepts');
      if (name !== 'baseline') assert.match(text, /==> back to baseline/);
    } finally {
      h.done();
    }
  });
}

test('--keep stays on the scenario', async () => {
  const h = harness();
  try {
    await runScenario(h.runner, h.deps, 'canary', { keep: true });
    assert.doesNotMatch(h.text(), /back to baseline/);
  } finally {
    h.done();
  }
});

test('check errors stop the run before anything is applied', async () => {
  const h = harness([{ message: 'VirtualService shop/products: weights add up to 90' }]);
  try {
    await assert.rejects(runScenario(h.runner, h.deps, 'canary', { keep: false }), /weights add up to 90/);
    assert.equal(h.runner.plan.length, 0);
  } finally {
    h.done();
  }
});

test('reset applies baseline only', async () => {
  const h = harness();
  try {
    assert.equal(await resetScenario(h.runner, h.deps), 0);
    assert.doesNotMatch(h.runner.plan.join('\n'), /k6/);
    assert.ok(h.runner.plan.some((l) => l.includes('ConfigMap shop/shopmesh-scenario')));
  } finally {
    h.done();
  }
});

test('pruning deletes exactly what the previous scenario added and the next does not render', () => {
  const previous = readRecord(withRecord([...fixture('baseline'), ...fixture('mtls')], 'mtls').find((o) => o.metadata.name === 'shopmesh-scenario') as never);
  assert.equal(previous.name, 'mtls');
  const next = withRecord(fixture('baseline'), 'baseline');
  const prune = refsToPrune(previous.refs, next);
  assert.deepEqual(prune.map((r) => `${r.kind}/${r.name}`), ['PeerAuthentication/default', 'Namespace/shop', 'Namespace/legacy']);
  assert.deepEqual(refsToPrune(previous.refs, withRecord([...fixture('baseline'), ...fixture('mtls')], 'mtls')), []);
  assert.deepEqual(readRecord(undefined).refs, []);
});

test('a scenario keeps the images the cluster runs, from npm run up or from Tilt', async () => {
  const { imagesByService } = await import('./run.ts');
  const { renderKustomization } = await import('../kube/render.ts');
  const objects = await renderKustomization(path.join(here, '..', '..', '..', 'overlays', 'baseline'));
  const services = [...new Set(JSON.stringify(objects).match(/"image":"shopmesh\/[a-z0-9-]+"/g)!.map((m) => m.slice(18, -1)))];
  const deployed = services.map((s, i) => (i % 2 ? `localhost:5050/shopmesh_${s}:tilt-0123abcd` : `k3d-shopmesh-registry:5050/shopmesh/${s}:c0ffee12`));
  const refs = imagesByService([...deployed, 'docker.io/istio/proxyv2:1.31.1'], objects);
  assert.deepEqual(Object.keys(refs).sort(), [...services].sort());
  assert.equal(refs[services[0]!], deployed[0]);
  assert.throws(() => imagesByService(deployed.slice(1), objects), new RegExp(`no built image for ${services[0]}`));
  // A plain, unbuilt name in the cluster does not count as built.
  assert.throws(
    () => imagesByService([`shopmesh/${services[0]}`, ...deployed.slice(1)], objects),
    (err: Error & { hint?: string }) => err.message.includes(services[0]!) && /npm run up/.test(err.hint ?? ''),
  );
});

test('a plan without power is refused before anything is applied, naming p, n, the band and the rate', async () => {
  const h = harness();
  try {
    const fault = fixture('fault');
    const weak = JSON.parse(JSON.stringify(fault).replace(/"abort":\{"percentage":\{"value":\d+(\.\d+)?\}/, '"abort":{"percentage":{"value":0.5}')) as KubeObject[];
    assert.notDeepEqual(weak, fault, 'the fixture carries an abort percentage to edit');
    h.deps.check = async () => ({ objects: weak, errors: [], warnings: [] });
    await assert.rejects(runScenario(h.runner, h.deps, 'fault', { keep: false }), (err: Error) => /fault_aborted: p=0\.5%, n=\d+, band 0%–[\d.]+%.*needs ≥ \d+\/s for 60 s/.test(err.message));
    assert.ok(!h.runner.plan.some((l) => /server-side apply/.test(l)), 'nothing applied');
  } finally {
    h.done();
  }
});

test("pruning never records up's own objects (managed-by shopmesh-up), so a switch back to baseline keeps them", () => {
  const issuer: KubeObject = { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'shopmesh-ca', labels: { 'app.kubernetes.io/managed-by': 'shopmesh-up' } }, spec: { ca: { secretName: 'shopmesh-ca' } } };
  const cert: KubeObject = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'shop-localhost', namespace: 'istio-ingress' }, spec: {} };
  const recorded = readRecord(withRecord([issuer, cert], 'tls').find((o) => o.metadata.name === 'shopmesh-scenario') as never);
  assert.deepEqual(recorded.refs.map((r) => r.name), ['shop-localhost', 'shopmesh-scenario']);
  assert.deepEqual(refsToPrune(recorded.refs, withRecord([], 'baseline')).map((r) => r.name), ['shop-localhost']);
});

test('the runner sends its load to the gateway ports up recorded, unless this run was given its own', async (t) => {
  const { adoptRecordedPorts, gatewayHttp, gatewayHttpsPort } = await import('./run.ts');
  const { KubeConfig } = await import('@kubernetes/client-node');
  const saved = { http: process.env.SHOPMESH_HTTP_PORT, https: process.env.SHOPMESH_HTTPS_PORT };
  t.after(() => {
    for (const [k, v] of [['SHOPMESH_HTTP_PORT', saved.http], ['SHOPMESH_HTTPS_PORT', saved.https]] as const) v === undefined ? delete process.env[k] : (process.env[k] = v);
  });
  delete process.env.SHOPMESH_HTTP_PORT;
  delete process.env.SHOPMESH_HTTPS_PORT;
  assert.equal(gatewayHttp(), 'http://127.0.0.1:8080');
  const h = harness();
  try {
    // microk8s: up recorded its NodePorts.
    h.deps.cluster = { ...h.deps.cluster, recordedPorts: async () => ({ httpPort: '30080', httpsPort: '30443', registryPort: '32000' }) };
    await adoptRecordedPorts(h.runner, h.deps, new KubeConfig());
    assert.equal(gatewayHttp(), 'http://127.0.0.1:30080');
    assert.equal(gatewayHttpsPort(), 30443);
    assert.match(h.text(), /the gateway answers on 127\.0\.0\.1:30080 \(HTTP\) and :30443 \(HTTPS\), as up recorded/);
    // A port given to this run wins over the record.
    process.env.SHOPMESH_HTTP_PORT = '9080';
    await adoptRecordedPorts(h.runner, h.deps, new KubeConfig());
    assert.equal(gatewayHttp(), 'http://127.0.0.1:9080');
  } finally {
    h.done();
  }
});

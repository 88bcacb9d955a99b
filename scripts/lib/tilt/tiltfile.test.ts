// The Tiltfile, evaluated by the pinned Tilt itself (`tilt alpha tiltfile-result`, no cluster): on a
// small fixture shop for the exact shape of what it builds and deploys, and on the repository as it
// is (the root kustomization and every scenario overlay) for consistency with the files around it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../versions.ts';
import { listServices } from '../services.ts';
import { contextSources, parseDockerfile } from '../images/dockerfile.ts';
import { listScenarios } from './inventory.ts';
import { evalAll, evalTiltfile, readTiltResult, TILTFILE_ERROR_EXIT, type EvalOptions, type TiltEval, type TiltRun } from '../../../test/support/tilt.ts';
import { fixtureDeployment, makeTiltFixture, TILT_FIXTURE_NODE_IMAGE, yamlStream, type TiltFixture } from '../../../test/support/tilt-fixture.ts';

const LABELS = new Set(['services', 'mesh', 'tools']);
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'ReplicaSet']);
const MESH_API_GROUPS = new Set(['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'gateway.networking.k8s.io']);

// ------------------------------------------------------------------ every evaluation, run up front

const fixtures: TiltFixture[] = [];
function fixture(change?: (f: TiltFixture) => void): TiltFixture {
  const f = makeTiltFixture();
  fixtures.push(f);
  change?.(f);
  return f;
}
after(() => fixtures.forEach((f) => f.remove()));

const shop = fixture();
// Mistakes the checks below must catch: all of the consistency check's in one copy of the fixture,
// and each that Tilt itself refuses in a copy of its own (Tilt stops at the first).
const mistakes = fixture((f) => {
  f.editTiltfile('for scenario in inventory["scenarios"]:', 'for scenario in inventory["scenarios"] + ["ghost"]:');
  f.editTiltfile('_build_images([s["name"] for s in inventory["services"]]', '_build_images([s["name"] for s in inventory["services"]][1:]');
  f.editTiltfile('        if _api_group(obj) in MESH_API_GROUPS:', '        if obj["kind"] == "Namespace" or _api_group(obj) in MESH_API_GROUPS:');
  f.editTiltfile('mesh_deps = ["mesh-config"]', 'mesh_deps = ["mesh-configs"]');
  f.write('overlays/baseline/ghost.yaml', yamlStream([fixtureDeployment('ghost-v1', 'shopmesh/ghost')]));
  f.write('overlays/baseline/kustomization.yaml', 'resources:\n  - shop.yaml\n  - ghost.yaml\n');
});
const misspelledKeyword = fixture((f) => f.editTiltfile('trigger_mode = TRIGGER_MODE_MANUAL', 'trigger = TRIGGER_MODE_MANUAL'));
const misnamedWorkload = fixture((f) => f.editTiltfile('k8s_resource(workload = name, labels = ["services"]', 'k8s_resource(workload = name + "-x", labels = ["services"]'));

interface Job {
  root: string;
  opts: EvalOptions;
}
const jobs = {
  baseline: { root: shop.root, opts: {} },
  canary: { root: shop.root, opts: { args: ['--scenario=canary'] } },
  dockerDesktop: { root: shop.root, opts: { context: 'docker-desktop' } },
  production: { root: shop.root, opts: { context: 'gke_shop_prod' } },
  unknownScenario: { root: shop.root, opts: { args: ['--scenario=nope'] } },
  unknownSetting: { root: shop.root, opts: { args: ['--scenarios=canary'] } },
  mistakes: { root: mistakes.root, opts: {} },
  misspelledKeyword: { root: misspelledKeyword.root, opts: {} },
  misnamedWorkload: { root: misnamedWorkload.root, opts: {} },
} satisfies Record<string, Job>;
// The repository: the root kustomization, then each scenario overlay, across the sandbox contexts.
const SCENARIOS = listScenarios(path.join(repoRoot, 'overlays'));
const SANDBOX_CONTEXTS = ['kind-shopmesh', 'microk8s', 'k3d-shopmesh'];
const repoJobs: Job[] = [
  { root: repoRoot, opts: { context: 'kind-shopmesh' } },
  ...SCENARIOS.map((s, i) => ({ root: repoRoot, opts: { context: SANDBOX_CONTEXTS[i % SANDBOX_CONTEXTS.length], args: [`--scenario=${s}`] } })),
];

type Results = Record<keyof typeof jobs, TiltEval> & { repo: TiltEval[] };
let results: Results;
before(async () => {
  const names = Object.keys(jobs) as (keyof typeof jobs)[];
  const all = await evalAll([...names.map((n) => jobs[n]), ...repoJobs].map((j) => () => evalTiltfile(j.root, j.opts)));
  results = { ...(Object.fromEntries(names.map((n, i) => [n, all[i]!])) as Record<keyof typeof jobs, TiltEval>), repo: all.slice(names.length) };
});

/** The evaluation's result; a failed one fails the test with Tilt's own words. */
function ok(e: TiltEval, root: string): TiltRun {
  assert.equal(e.code, 0, `tilt alpha tiltfile-result failed (${e.code}):\n${e.stderr.slice(-4000)}`);
  return readTiltResult(e.stdout, root);
}
function refused(e: TiltEval, message: RegExp): void {
  assert.equal(e.code, TILTFILE_ERROR_EXIT, `expected a Tiltfile error, got exit ${e.code}:\n${e.stderr.slice(-2000)}`);
  assert.match(e.stderr, message);
}

// ------------------------------------------------------------------ the fixture shop

test('only the sandbox contexts pass the guard: a local context Tilt itself would allow is refused too', () => {
  ok(results.baseline, shop.root);
  refused(results.dockerDesktop, /kube context docker-desktop is not the shopmesh sandbox's \(k3d-shopmesh, kind-shopmesh, microk8s\)/);
  refused(results.production, /kube context gke_shop_prod is not the shopmesh sandbox's/);
});

test('the root kustomization by default, overlays/<name> with --scenario, and a clear stop for an unknown one', () => {
  const baseline = ok(results.baseline, shop.root);
  const canary = ok(results.canary, shop.root);
  // Tilt watches what kustomize read: the root kustomization only without --scenario.
  assert.ok(baseline.configFiles.includes('kustomization.yaml'), baseline.configFiles.join(' '));
  assert.ok(!canary.configFiles.includes('kustomization.yaml'), canary.configFiles.join(' '));
  assert.ok(canary.configFiles.includes(path.join('overlays', 'canary', 'kustomization.yaml')));
  assert.ok(!baseline.objects.some((o) => o.metadata.name === 'curl-client'));
  assert.ok(canary.objects.some((o) => o.metadata.name === 'curl-client'));
  refused(results.unknownScenario, /unknown scenario nope: one of baseline, canary/);
  refused(results.unknownSetting, /unknown flag: --scenarios/);
});

test('one dev image per service folder, named as the manifests use it, with live_update syncs and fall-backs', () => {
  const baseline = ok(results.baseline, shop.root);
  const dockerfile = readFileSync(path.join(shop.root, 'Dockerfile'), 'utf8');
  assert.deepEqual(baseline.images.map((b) => b.ref).sort(), ['shopmesh/alpha', 'shopmesh/products']);
  for (const b of baseline.images) {
    const service = b.ref.split('/')[1]!;
    assert.equal(b.target, 'dev');
    assert.equal(b.context, '.');
    assert.equal(b.dockerfileContents, dockerfile, 'built from the shared Dockerfile');
    assert.deepEqual(b.args, { NODE_IMAGE: TILT_FIXTURE_NODE_IMAGE, SERVICE: service });
    assert.deepEqual(b.stopPaths.sort(), ['package-lock.json', 'package.json', 'tsconfig.json']);
    assert.deepEqual(b.syncs, [
      { localPath: `services/${service}/src`, containerPath: `/app/services/${service}/src` },
      { localPath: 'services/shared', containerPath: '/app/services/shared' },
    ]);
  }
});

test("each image's `only` covers every path the Dockerfile's dev target copies, and nothing of another service", () => {
  const baseline = ok(results.baseline, shop.root);
  const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
  for (const b of baseline.images) {
    const service = b.ref.split('/')[1]!;
    const copied = contextSources(dockerfile, b.target, { SERVICE: service, NODE_IMAGE: 'x' });
    assert.ok(copied.length > 0);
    for (const c of copied) assert.ok(b.only.some((o) => c === o || c.startsWith(`${o}/`)), `${service}: only covers ${c}`);
    for (const o of b.only.filter((x) => x.startsWith('services/'))) assert.ok(o === 'services/shared' || o === `services/${service}/src`, `${service}: ${o}`);
  }
});

test('our containers become writable for live_update, with a dev memory limit; others are left alone', () => {
  const canary = ok(results.canary, shop.root);
  const deployments = canary.objects.filter((x) => x.kind === 'Deployment');
  assert.equal(deployments.length, 4);
  for (const o of deployments) {
    for (const c of o.spec.template.spec.containers) {
      if (String(c.image).startsWith('shopmesh/')) {
        assert.equal(c.securityContext.readOnlyRootFilesystem, false, o.metadata.name);
        assert.equal(c.securityContext.runAsNonRoot, true, 'the rest of the security context is kept');
        assert.equal(c.resources.limits.memory, '512Mi');
        assert.equal(c.resources.limits.cpu, '250m');
      } else {
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, o.metadata.name);
        assert.equal(c.resources.limits.memory, '160Mi');
      }
    }
  }
});

test('resources: services and tools by image, mesh objects grouped, port-forwards per workload, labels from the three groups', () => {
  const canary = ok(results.canary, shop.root);
  const byName = new Map(canary.k8s.map((r) => [r.name, r]));
  assert.deepEqual([...byName.keys()].sort(), ['alpha-v1', 'curl-client', 'mesh-config', 'products-v1', 'products-v2', 'uncategorized']);
  assert.deepEqual(byName.get('curl-client')!.labels, ['tools']);
  assert.deepEqual(byName.get('curl-client')!.forwards, []);
  const products = listServices(path.join(shop.root, 'services')).find((s) => s.name === 'products')!;
  for (const w of ['alpha-v1', 'products-v1', 'products-v2']) {
    const r = byName.get(w)!;
    assert.deepEqual(r.labels, ['services']);
    assert.deepEqual(r.forwards.map((p) => p.containerPort), [8080, 9090]);
    assert.deepEqual(r.resourceDeps, ['mesh-config']);
  }
  // products-v2 is the second variant of products: its forwards step by 20.
  assert.deepEqual(byName.get('products-v1')!.forwards.map((p) => p.localPort), [products.devPort + 10000, products.devAdminPort + 10000]);
  assert.deepEqual(byName.get('products-v2')!.forwards.map((p) => p.localPort), [products.devPort + 10020, products.devAdminPort + 10020]);
  const mesh = byName.get('mesh-config')!;
  assert.deepEqual(mesh.labels, ['mesh']);
  assert.deepEqual(mesh.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['DestinationRule/products', 'Gateway/shop-gateway', 'VirtualService/products']);
  // Tilt applies `uncategorized` before every other resource: the namespace must be there.
  assert.deepEqual(byName.get('uncategorized')!.objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Namespace/shop']);
  assertConsistent(results.canary, shop.root);
});

test('a manual button per scenario runs its npm script after the shop is up', () => {
  const baseline = ok(results.baseline, shop.root);
  assert.deepEqual(baseline.local.map((r) => r.name), ['scenario-baseline', 'scenario-canary']);
  const workloads = baseline.k8s.filter((r) => r.objects.some((o) => WORKLOAD_KINDS.has(o.kind))).map((r) => r.name);
  assert.deepEqual(workloads, ['alpha-v1', 'products-v1', 'products-v2']);
  for (const r of baseline.local) {
    const scenario = r.name.replace(/^scenario-/, '');
    assert.deepEqual(r.cmd, ['npm', 'run', `scenario:${scenario}`]);
    assert.equal(r.manual, true);
    assert.equal(r.autoInit, false, 'not run by tilt up or tilt ci');
    assert.deepEqual(r.labels, ['tools']);
    assert.deepEqual([...r.resourceDeps].sort(), [...workloads].sort());
  }
});

// ------------------------------------------------------------------ consistency, and that it can fail

const TILT_PROGRESS = [/^Loading Tiltfile at: /, /^Falling back to `kubectl kustomize` since `kustomize` was not found in PATH$/, /^Running: kubectl kustomize \S+$/, /^Successfully loaded Tiltfile \(/];

/** What is wrong with an evaluation, against the files around the Tiltfile; empty when all is well. */
function problems(run: TiltRun, root: string, log: string): string[] {
  const found: string[] = [];
  const check = (ok: boolean, problem: string): void => void (ok || found.push(problem));
  const exists = (p: string) => existsSync(path.join(root, p));
  // Every path the Tiltfile names exists.
  for (const b of run.images) {
    for (const p of [b.context, ...b.only, ...b.stopPaths, ...b.syncs.map((s) => s.localPath)]) check(exists(p), `${b.ref}: ${p} does not exist`);
  }
  // Every service folder is built, and every image of ours the manifests use is built.
  const services = listServices(path.join(root, 'services')).map((s) => `shopmesh/${s.name}`);
  const built = run.images.map((b) => b.ref);
  for (const s of services) check(built.includes(s), `${s} is not built, though services/${s.split('/')[1]} is a service`);
  for (const b of built) check(services.includes(b), `${b} is built, but is no service folder`);
  const images = run.objects.filter((o) => WORKLOAD_KINDS.has(o.kind)).flatMap((o) => JSON.stringify(o).match(/"image":"shopmesh\/[^"]+"/g) ?? []).map((m) => m.slice(9, -1));
  for (const image of new Set(images)) check(built.includes(image.split(':')[0]!), `${image} in the manifests is not built`);
  // Tilt logs nothing beyond its progress lines: any other line is a complaint about what it was
  // given (a resource_deps entry it dropped, an image built but never deployed, and the like).
  for (const line of log.split('\n')) check(!line.trim() || TILT_PROGRESS.some((p) => p.test(line)), `Tilt logged: ${line}`);
  // Mesh objects are grouped, so workloads start with their routes and policies in place.
  const mesh = run.k8s.find((r) => r.name === 'mesh-config');
  for (const o of run.objects) {
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
    if (MESH_API_GROUPS.has(group)) check(!!mesh?.objects.includes(o), `${o.kind}/${o.metadata.name} is not in mesh-config`);
  }
  // Namespaces go first: Tilt applies `uncategorized` before any other resource.
  for (const r of run.k8s) for (const o of r.objects) if (o.kind === 'Namespace') check(r.name === 'uncategorized', `Namespace/${o.metadata.name} is in ${r.name}, which Tilt applies after what lives in it`);
  const ports = run.k8s.flatMap((r) => r.forwards.map((f) => f.localPort));
  check(new Set(ports).size === ports.length, `two port-forwards share a local port: ${ports.join(', ')}`);
  // Every scenario button names a real overlay and an npm script.
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  for (const r of run.local) {
    const scenario = r.name.replace(/^scenario-/, '');
    check(exists(`overlays/${scenario}/kustomization.yaml`), `button ${r.name}: overlays/${scenario} does not exist`);
    check(!!scripts[`scenario:${scenario}`], `button ${r.name}: no npm script scenario:${scenario}`);
  }
  for (const r of [...run.k8s, ...run.local]) for (const l of r.labels) check(LABELS.has(l), `${r.name}: label ${l} is none of ${[...LABELS].join(', ')}`);
  return found;
}

function assertConsistent(e: TiltEval, root: string): void {
  assert.deepEqual(problems(ok(e, root), root, e.stderr), []);
}

test('the consistency check finds each mistake: a button without an overlay, a service not built, an image no folder builds, a dropped dependency, a namespace applied late', () => {
  const found = problems(ok(results.mistakes, mistakes.root), mistakes.root, results.mistakes.stderr);
  assert.deepEqual(found.sort(), [
    'Namespace/shop is in mesh-config, which Tilt applies after what lives in it',
    'Tilt logged: resource alpha-v1 specified a dependency on unknown resource mesh-configs - dependency ignored',
    'Tilt logged: resource ghost-v1 specified a dependency on unknown resource mesh-configs - dependency ignored',
    'Tilt logged: resource products-v1 specified a dependency on unknown resource mesh-configs - dependency ignored',
    'Tilt logged: resource products-v2 specified a dependency on unknown resource mesh-configs - dependency ignored',
    'button scenario-ghost: no npm script scenario:ghost',
    'button scenario-ghost: overlays/ghost does not exist',
    'shopmesh/alpha in the manifests is not built',
    'shopmesh/alpha is not built, though services/alpha is a service',
    'shopmesh/ghost in the manifests is not built',
  ]);
});

test("Tilt's own checks refuse a misspelled keyword and a resource for a workload that is not deployed", () => {
  refused(results.misspelledKeyword, /local_resource: unexpected keyword argument "trigger"/);
  refused(results.misnamedWorkload, /unknown resource "alpha-v1-x"/);
});

// ------------------------------------------------------------------ the repository as it is

test('the real Tiltfile on the repository: the root and every scenario evaluate, paths exist, every service is built, every button is a real overlay', () => {
  assert.ok(SCENARIOS.includes('baseline'));
  const [root, ...scenarios] = results.repo;
  const run = ok(root!, repoRoot);
  assertConsistent(root!, repoRoot);
  assert.deepEqual(run.local.map((r) => r.name), SCENARIOS.map((s) => `scenario-${s}`));
  SCENARIOS.forEach((scenario, i) => {
    const e = scenarios[i]!;
    const r = ok(e, repoRoot);
    assert.ok(r.configFiles.includes(path.join('overlays', scenario, 'kustomization.yaml')), `${scenario}: deployed from overlays/${scenario}`);
    assertConsistent(e, repoRoot);
  });
});

// ------------------------------------------------------------------ the file itself

test('the Tiltfile is well-formed Starlark: buildifier finds nothing to reformat and no lint warnings', () => {
  const bin = path.join(repoRoot, 'node_modules', '.bin', 'buildifier');
  // Exit 0 means formatted and lint-clean; any finding exits non-zero with the finding on stderr.
  execFileSync(bin, ['--mode=check', '--lint=warn', '--type=default', 'Tiltfile'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
});

test('buildifier would catch a broken Tiltfile (the check above can fail)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-tilt-'));
  try {
    writeFileSync(path.join(dir, 'Tiltfile'), 'def f(:\n  pass\n');
    assert.throws(() => execFileSync(path.join(repoRoot, 'node_modules', '.bin', 'buildifier'), ['--mode=check', '--type=default', 'Tiltfile'], { cwd: dir, stdio: 'pipe' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

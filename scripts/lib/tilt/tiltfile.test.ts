import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../versions.ts';
import { listServices } from '../services.ts';
import { contextSources, parseDockerfile } from '../images/dockerfile.ts';
import { runTiltfile, WORKLOAD_KINDS, type KubeObject, type TiltRun, type TiltfileEnv } from './tiltfile.ts';
import { StarlarkFail } from './starlark.ts';

const SANDBOX_CONTEXTS = ['k3d-shopmesh', 'kind-shopmesh', 'microk8s'];
const LABELS = new Set(['services', 'mesh', 'tools']);
const realLocal = (argv: string[], cwd: string): string => execFileSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8' });

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

// ------------------------------------------------------------------ a fixture shop

function deployment(name: string, image: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      template: {
        spec: {
          containers: [{ name: name.split('-')[0], image, securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: true }, resources: { limits: { memory: '160Mi', cpu: '250m' } }, ...extra }],
        },
      },
    },
  };
}

function fixtureObjects(dir: string): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'products', namespace: 'shop' } },
    deployment('alpha-v1', 'shopmesh/alpha'),
    deployment('products-v1', 'shopmesh/products'),
    deployment('products-v2', 'shopmesh/products'),
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'products', namespace: 'shop' } },
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'shop-gateway', namespace: 'istio-ingress' } },
  ];
  if (dir.endsWith(path.join('overlays', 'canary'))) {
    objects.push(deployment('curl-client', 'curlimages/curl:8.10.1'));
    objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'products', namespace: 'shop' } });
  }
  return objects;
}

interface Fixture {
  root: string;
  env(overrides?: Partial<TiltfileEnv>): TiltfileEnv;
  remove(): void;
}

function makeFixture(): Fixture {
  const root = mkdtempSync(path.join(tmpdir(), 'shopmesh-tilt-'));
  const write = (rel: string, content: string): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };
  for (const rel of ['Tiltfile', 'Dockerfile', 'tsconfig.json']) cpSync(path.join(repoRoot, rel), path.join(root, rel));
  // The Tiltfile runs the inventory script with tsx: borrow both from the repository.
  symlinkSync(path.join(repoRoot, 'scripts'), path.join(root, 'scripts'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  write('versions.yaml', 'images:\n  node: node:24.0.0-slim\n');
  write('package.json', JSON.stringify({ type: 'module', scripts: { 'scenario:baseline': 'x', 'scenario:canary': 'x' } }));
  write('package-lock.json', '{}');
  write('kustomization.yaml', 'resources: [overlays/baseline]\n');
  for (const o of ['baseline', 'canary']) write(`overlays/${o}/kustomization.yaml`, 'resources: []\n');
  write('overlays/components/shop-defaults/kustomization.yaml', 'kind: Component\n');
  write('services/shared/src/config.ts', 'export {};\n');
  for (const s of ['alpha', 'products']) write(`services/${s}/src/main.ts`, 'export {};\n');
  write('services/testing/harness.ts', 'export {};\n');
  const kustomizeCalls: string[] = [];
  return {
    root,
    env: (overrides = {}) => ({
      root,
      context: 'k3d-shopmesh',
      kustomize: (dir: string) => {
        kustomizeCalls.push(dir);
        return fixtureObjects(dir).map((o) => YAML.stringify(o)).join('---\n');
      },
      local: realLocal,
      ...overrides,
    }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

const fixture = makeFixture();
after(() => fixture.remove());
let runs: { baseline: TiltRun; canary: TiltRun } | undefined;
/** The fixture evaluated without and with --scenario=canary (once, on first use). */
function fixtureRuns(): { baseline: TiltRun; canary: TiltRun } {
  runs ??= { baseline: runTiltfile(fixture.env()), canary: runTiltfile(fixture.env({ args: { scenario: 'canary' } })) };
  return runs;
}

test('only the sandbox contexts are allowed, and any other context stops the Tiltfile', () => {
  const { baseline } = fixtureRuns();
  assert.deepEqual([...baseline.allowedContexts].sort(), [...SANDBOX_CONTEXTS].sort());
  assert.throws(() => runTiltfile(fixture.env({ context: 'docker-desktop' })), (err: Error) => err instanceof StarlarkFail && /docker-desktop/.test(err.message));
});

test('the root kustomization by default, overlays/<name> with --scenario, and a clear stop for an unknown one', () => {
  const { baseline, canary } = fixtureRuns();
  assert.deepEqual(baseline.definedSettings, ['scenario']);
  assert.deepEqual(baseline.kustomizeDirs, ['.']);
  assert.deepEqual(canary.kustomizeDirs, ['overlays/canary']);
  assert.ok(canary.objects.some((o) => o.metadata.name === 'curl-client'));
  assert.throws(() => runTiltfile(fixture.env({ args: { scenario: 'nope' } })), (err: Error) => err instanceof StarlarkFail && /unknown scenario nope: one of baseline, canary/.test(err.message));
  assert.throws(() => runTiltfile(fixture.env({ args: { scenarios: 'canary' } })), /unknown setting --scenarios/);
});

test('one dev image per service folder, named as the manifests use it, with live_update syncs and fall-backs', () => {
  const { baseline } = fixtureRuns();
  assert.deepEqual(baseline.dockerBuilds.map((b) => b.ref), ['shopmesh/alpha', 'shopmesh/products']);
  for (const b of baseline.dockerBuilds) {
    const service = b.ref.split('/')[1]!;
    assert.equal(b.target, 'dev');
    assert.equal(b.dockerfile, 'Dockerfile');
    assert.equal(b.context, '.');
    assert.deepEqual(b.build_args, { NODE_IMAGE: 'node:24.0.0-slim', SERVICE: service });
    const [first, ...rest] = b.live_update;
    assert.equal(first?.$type, 'fall_back_on');
    for (const f of ['package.json', 'package-lock.json']) assert.ok(first?.files?.includes(f), f);
    assert.deepEqual(
      rest.map((s) => [s.$type, s.local_path, s.remote_path]),
      [
        ['sync', `services/${service}/src`, `/app/services/${service}/src`],
        ['sync', 'services/shared', '/app/services/shared'],
      ],
    );
  }
});

test("each image's `only` covers every path the Dockerfile's dev target copies, and nothing of another service", () => {
  const { baseline } = fixtureRuns();
  const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
  for (const b of baseline.dockerBuilds) {
    const service = b.ref.split('/')[1]!;
    const copied = contextSources(dockerfile, b.target, { SERVICE: service, NODE_IMAGE: 'x' });
    for (const c of copied) assert.ok(b.only.some((o) => c === o || c.startsWith(`${o}/`)), `${service}: only covers ${c}`);
    for (const o of b.only.filter((x) => x.startsWith('services/'))) assert.ok(o === 'services/shared' || o === `services/${service}/src`, `${service}: ${o}`);
    for (const step of b.live_update) {
      for (const p of [...(step.files ?? []), ...(step.local_path ? [step.local_path] : [])]) assert.ok(b.only.includes(p), `${service}: ${p} is in the context`);
    }
  }
});

test('our containers become writable for live_update, with a dev memory limit; others are left alone', () => {
  const { canary } = fixtureRuns();
  const containers = (o: KubeObject) => ((o.spec as { template: { spec: { containers: Record<string, any>[] } } }).template.spec.containers);
  for (const o of canary.objects.filter((x) => x.kind === 'Deployment')) {
    for (const c of containers(o)) {
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
  const { canary } = fixtureRuns();
  const byWorkload = new Map(canary.k8sResources.filter((r) => r.workload).map((r) => [r.workload!, r]));
  assert.deepEqual([...byWorkload.keys()].sort(), ['alpha-v1', 'curl-client', 'products-v1', 'products-v2']);
  assert.deepEqual(byWorkload.get('curl-client')!.labels, ['tools']);
  for (const w of ['alpha-v1', 'products-v1', 'products-v2']) {
    const r = byWorkload.get(w)!;
    assert.deepEqual(r.labels, ['services']);
    assert.deepEqual(r.port_forwards!.map((p) => p.container_port), [8080, 9090]);
    assert.deepEqual(r.resource_deps, ['mesh-config']);
  }
  const locals = [...byWorkload.values()].flatMap((r) => (r.port_forwards ?? []).map((p) => p.local_port));
  assert.equal(new Set(locals).size, locals.length, 'no two forwards share a local port');
  const products = listServices(path.join(fixture.root, 'services')).find((s) => s.name === 'products')!;
  assert.equal(byWorkload.get('products-v1')!.port_forwards![0]!.local_port, products.devPort + 10000);
  const mesh = canary.k8sResources.find((r) => r.new_name === 'mesh-config')!;
  assert.deepEqual(mesh.labels, ['mesh']);
  assert.deepEqual(mesh.objects, ['shop:namespace', 'products:virtualservice:shop', 'shop-gateway:gateway:istio-ingress', 'products:destinationrule:shop']);
  for (const r of [...canary.k8sResources, ...canary.localResources]) for (const l of r.labels ?? []) assert.ok(LABELS.has(l), l);
});

test('a manual button per scenario runs its npm script after the shop is up', () => {
  const { baseline } = fixtureRuns();
  assert.deepEqual(baseline.localResources.map((r) => r.name), ['scenario-baseline', 'scenario-canary']);
  const workloads = baseline.k8sResources.filter((r) => r.workload).map((r) => r.workload);
  for (const r of baseline.localResources) {
    const scenario = r.name.replace(/^scenario-/, '');
    assert.deepEqual(r.cmd, ['npm', 'run', `scenario:${scenario}`]);
    assert.equal(r.auto_init, false, 'not run by tilt up or tilt ci');
    assert.equal(r.trigger_mode?.mode, 'manual');
    assert.deepEqual(r.resource_deps, workloads);
  }
});

// ------------------------------------------------------------------ the real repository

function assertConsistent(run: TiltRun, root: string): void {
  const exists = (p: string) => existsSync(path.join(root, p));
  // Every path the Tiltfile names exists.
  for (const b of run.dockerBuilds) {
    for (const p of [b.context, b.dockerfile, ...b.only, ...b.live_update.flatMap((s) => [...(s.files ?? []), ...(s.local_path ? [s.local_path] : [])])]) assert.ok(exists(p), `${b.ref}: ${p} exists`);
  }
  for (const p of [...run.kustomizeDirs, ...run.readFiles]) assert.ok(exists(p), `${p} exists`);
  // Every service folder is built, and every image the manifests use is one of ours that is built.
  const services = listServices(path.join(root, 'services')).map((s) => `shopmesh/${s.name}`);
  assert.deepEqual(run.dockerBuilds.map((b) => b.ref).sort(), services.sort());
  const images = run.objects.filter((o) => WORKLOAD_KINDS.has(o.kind)).flatMap((o) => JSON.stringify(o).match(/"image":"shopmesh\/[^"]+"/g) ?? []).map((m) => m.slice(9, -1));
  for (const image of new Set(images)) assert.ok(services.includes(image.split(':')[0]!), `${image} in the manifests is built from a service folder`);
  // Every resource the Tiltfile configures or depends on exists.
  const workloads = run.objects.filter((o) => WORKLOAD_KINDS.has(o.kind)).map((o) => o.metadata.name);
  const names = new Set([...workloads, ...run.k8sResources.map((r) => r.new_name).filter(Boolean), ...run.localResources.map((r) => r.name)]);
  for (const r of run.k8sResources) {
    if (r.workload) assert.ok(workloads.includes(r.workload), `workload ${r.workload} is deployed`);
    for (const d of r.resource_deps ?? []) assert.ok(names.has(d), `dependency ${d} exists`);
  }
  for (const r of run.localResources) for (const d of r.resource_deps ?? []) assert.ok(names.has(d), `dependency ${d} exists`);
  // Every object selector matches exactly one deployed object.
  for (const sel of run.k8sResources.flatMap((r) => r.objects ?? [])) {
    const [name, kind, ns] = sel.split(':');
    const hits = run.objects.filter((o) => o.metadata.name === name && o.kind.toLowerCase() === kind && (ns === undefined || o.metadata.namespace === ns));
    assert.equal(hits.length, 1, `selector ${sel}`);
  }
  // Every scenario button names a real overlay and an npm script.
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  for (const r of run.localResources) {
    const scenario = r.name.replace(/^scenario-/, '');
    assert.ok(exists(`overlays/${scenario}/kustomization.yaml`), `overlays/${scenario} exists`);
    assert.ok(scripts[`scenario:${scenario}`], `npm script scenario:${scenario} exists`);
  }
  for (const r of [...run.k8sResources, ...run.localResources]) for (const l of r.labels ?? []) assert.ok(LABELS.has(l), l);
}

test('the fixture run is consistent by the same checks as the real repository', () => {
  const { baseline, canary } = fixtureRuns();
  assertConsistent(baseline, fixture.root);
  assertConsistent(canary, fixture.root);
});

test('the consistency check fails when a scenario button has no overlay', () => {
  const { baseline } = fixtureRuns();
  const broken: TiltRun = { ...baseline, localResources: [...baseline.localResources, { name: 'scenario-ghost', cmd: ['npm', 'run', 'scenario:ghost'] }] };
  assert.throws(() => assertConsistent(broken, fixture.root), /overlays\/ghost exists/);
});

test('the real Tiltfile on the real repository: paths exist, every service is built, every button is a real overlay', () => {
  const kustomize = (dir: string) => execFileSync(process.env.KUBECTL ?? 'kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const root = runTiltfile({ root: repoRoot, context: 'kind-shopmesh', kustomize, local: realLocal });
  assert.deepEqual(root.kustomizeDirs, ['.']);
  assertConsistent(root, repoRoot);
  const scenarios = root.localResources.map((r) => r.name.replace(/^scenario-/, ''));
  assert.ok(scenarios.includes('baseline'));
  for (const scenario of scenarios) {
    const run = runTiltfile({ root: repoRoot, context: 'microk8s', args: { scenario }, kustomize, local: realLocal });
    assert.deepEqual(run.kustomizeDirs, [`overlays/${scenario}`]);
    assertConsistent(run, repoRoot);
  }
});

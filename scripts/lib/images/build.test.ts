import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Runner } from '../plan.ts';
import { repoRoot } from '../versions.ts';
import { buildAndPushImages, registryHasTag } from './build.ts';
import { contentTag, imageFiles } from './tag.ts';
import { FIXTURE_NODE_IMAGE, makeFixtureRepo } from '../../../test/support/fixture-repo.ts';

const run = promisify(execFile);
const quiet = { write: () => {} };

/** A loopback stand-in for the registry's HTTP API: it holds the refs in `stored`. */
class FakeRegistry {
  readonly stored = new Set<string>();
  readonly requests: string[] = [];
  private server: Server = createServer((req, res) => {
    this.requests.push(`${req.method} ${req.url}`);
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.url ?? '');
    res.statusCode = m && this.stored.has(`${m[1]}:${m[2]}`) ? 200 : 404;
    res.end();
  });
  host = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const registry = new FakeRegistry();
before(() => registry.start());
after(() => registry.stop());

test('content tag: unchanged sources give the same tag; a changed file changes only its service', () => {
  const repo = makeFixtureRepo();
  try {
    const tag = (service: string) => contentTag({ root: repo.root, service, baseImage: FIXTURE_NODE_IMAGE }).tag;
    const a1 = tag('alpha');
    const b1 = tag('beta');
    assert.match(a1, /^[0-9a-f]{16}$/);
    assert.notEqual(a1, b1);
    assert.equal(tag('alpha'), a1, 'stable');

    repo.write('services/alpha/src/app.ts', 'export const app = 2;\n');
    const a2 = tag('alpha');
    assert.notEqual(a2, a1);
    assert.equal(tag('beta'), b1, 'beta untouched');

    // Outside the image: tests, manifests, READMEs, node_modules, other folders.
    repo.write('services/alpha/src/app.test.ts', 'export const changed = true;\n');
    repo.write('services/alpha/k8s/deployment.yaml', 'kind: Deployment # changed\n');
    repo.write('services/alpha/README.md', '# changed\n');
    repo.write('node_modules/left-pad/index.js', 'module.exports = 2;\n');
    repo.write('services/testing/harness.ts', 'export const x = 1;\n');
    assert.equal(tag('alpha'), a2);

    // Shared inputs move every tag.
    repo.write('services/shared/src/config.ts', 'export const shared = 2;\n');
    const a3 = tag('alpha');
    const b3 = tag('beta');
    assert.ok(a3 !== a2 && b3 !== b1);
    repo.write('package-lock.json', '{"lockfileVersion":3,"changed":1}\n');
    assert.ok(tag('alpha') !== a3 && tag('beta') !== b3);
    const a4 = tag('alpha');
    repo.write('Dockerfile', `${readFileSync(path.join(repo.root, 'Dockerfile'), 'utf8')}\n# changed\n`);
    assert.notEqual(tag('alpha'), a4);
    const a5 = tag('alpha');
    assert.notEqual(contentTag({ root: repo.root, service: 'alpha', baseImage: 'node:24.99.0-slim' }).tag, a5, 'base image pin');
  } finally {
    repo.remove();
  }
});

test('the tag covers exactly the context files the production target copies', () => {
  const repo = makeFixtureRepo();
  try {
    const files = imageFiles({ root: repo.root, service: 'alpha', baseImage: FIXTURE_NODE_IMAGE });
    assert.deepEqual(files, [
      'package-lock.json',
      'package.json',
      'scripts/lib/images/bundle-entry.ts',
      'scripts/lib/images/bundle.ts',
      'scripts/lib/versions.ts',
      'services/alpha/src/app.ts',
      'services/alpha/src/main.ts',
      'services/shared/src/config.ts',
      'tsconfig.json',
    ]);
  } finally {
    repo.remove();
  }
});

test('a COPY source that does not exist stops the tag with its path', () => {
  const repo = makeFixtureRepo();
  try {
    rmSync(path.join(repo.root, 'services/shared'), { recursive: true });
    assert.throws(() => contentTag({ root: repo.root, service: 'alpha', baseImage: FIXTURE_NODE_IMAGE }), /services\/shared: the Dockerfile copies it/);
  } finally {
    repo.remove();
  }
});

test('dry-run plan: builds and pushes only what the registry lacks; refs use the cluster registry', async () => {
  const repo = makeFixtureRepo();
  try {
    const alphaTag = contentTag({ root: repo.root, service: 'alpha', baseImage: FIXTURE_NODE_IMAGE }).tag;
    const betaTag = contentTag({ root: repo.root, service: 'beta', baseImage: FIXTURE_NODE_IMAGE }).tag;
    registry.stored.clear();
    registry.stored.add(`shopmesh/alpha:${alphaTag}`);
    const runner = new Runner({ dryRun: true, out: quiet });
    const refs = await buildAndPushImages(runner, { pushRegistry: registry.host, clusterRegistry: 'k3d-shopmesh-registry:5000', root: repo.root });
    assert.deepEqual(refs, {
      alpha: `k3d-shopmesh-registry:5000/shopmesh/alpha:${alphaTag}`,
      beta: `k3d-shopmesh-registry:5000/shopmesh/beta:${betaTag}`,
    });
    const betaRef = `${registry.host}/shopmesh/beta:${betaTag}`;
    assert.deepEqual(runner.plan, [
      `$ docker build --file Dockerfile --target production --build-arg NODE_IMAGE=${FIXTURE_NODE_IMAGE} --build-arg SERVICE=beta --label dev.shopmesh.content-tag=${betaTag} --tag ${betaRef} .`,
      `$ docker push ${betaRef}`,
    ]);
    assert.ok(registry.requests.includes(`HEAD /v2/shopmesh/alpha/manifests/${alphaTag}`));
  } finally {
    repo.remove();
  }
});

test('unknown service names are refused with the known ones', async () => {
  const repo = makeFixtureRepo();
  try {
    await assert.rejects(
      buildAndPushImages(new Runner({ dryRun: true, out: quiet }), { pushRegistry: registry.host, clusterRegistry: registry.host, services: ['alpha', 'testing'], root: repo.root }),
      (err: Error & { hint?: string }) => /no such service: testing/.test(err.message) && /alpha, beta/.test(err.hint ?? ''),
    );
  } finally {
    repo.remove();
  }
});

/** A `docker` on PATH that logs its arguments and answers `image inspect` with the exit code in INSPECT_CODE. */
function stubDocker(): { dir: string; log: string; calls(): string[][] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-docker-'));
  const log = path.join(dir, 'calls.log');
  writeFileSync(
    path.join(dir, 'docker'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nif [ "$1" = version ]; then echo 28.0.0; fi\nif [ "$1" = image ] && [ "$2" = inspect ]; then exit \${INSPECT_CODE:-1}; fi\nexit 0\n`,
  );
  chmodSync(path.join(dir, 'docker'), 0o755);
  return { dir, log, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')) : []) };
}

async function withPath<T>(dir: string, env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH}`;
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    process.env = saved;
  }
}

test('real run with a stub docker: checks the engine, builds the production target, pushes, skips what is present', async () => {
  const repo = makeFixtureRepo();
  const docker = stubDocker();
  try {
    registry.stored.clear();
    const betaTag = contentTag({ root: repo.root, service: 'beta', baseImage: FIXTURE_NODE_IMAGE }).tag;
    registry.stored.add(`shopmesh/beta:${betaTag}`);
    await withPath(docker.dir, {}, () => buildAndPushImages(new Runner({ out: quiet, interactive: false }), { pushRegistry: registry.host, clusterRegistry: registry.host, root: repo.root }));
    const calls = docker.calls();
    assert.deepEqual(calls.map((c) => c[0]), ['version', 'build', 'push']);
    const build = calls[1]!;
    assert.equal(build[build.indexOf('--target') + 1], 'production');
    assert.ok(build.includes('SERVICE=alpha'));
    assert.equal(build.at(-1), '.');
    assert.match(calls[2]![1]!, new RegExp(`^${registry.host}/shopmesh/alpha:[0-9a-f]{16}$`));
  } finally {
    repo.remove();
    rmSync(docker.dir, { recursive: true, force: true });
  }
});

test('--no-push: presence is the local image store; nothing is pushed', async () => {
  const repo = makeFixtureRepo(['alpha']);
  const docker = stubDocker();
  try {
    const runner = () => new Runner({ out: quiet, interactive: false });
    const opts = { pushRegistry: 'localhost:5050', clusterRegistry: 'localhost:5050', root: repo.root, push: false };
    await withPath(docker.dir, { INSPECT_CODE: '1' }, () => buildAndPushImages(runner(), opts));
    assert.deepEqual(docker.calls().map((c) => c[0]), ['version', 'image', 'build']);
    rmSync(docker.log);
    await withPath(docker.dir, { INSPECT_CODE: '0' }, () => buildAndPushImages(runner(), opts));
    assert.deepEqual(docker.calls().map((c) => c.slice(0, 2).join(' ')), ['version --format', 'image inspect']);
  } finally {
    repo.remove();
    rmSync(docker.dir, { recursive: true, force: true });
  }
});

test('a missing Docker engine stops the build with a fix', async () => {
  const repo = makeFixtureRepo(['alpha']);
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-docker-'));
  writeFileSync(path.join(dir, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n');
  chmodSync(path.join(dir, 'docker'), 0o755);
  try {
    await assert.rejects(
      withPath(dir, {}, () => buildAndPushImages(new Runner({ out: quiet, interactive: false }), { pushRegistry: registry.host, clusterRegistry: registry.host, root: repo.root })),
      /Docker engine is not reachable/,
    );
  } finally {
    repo.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('registry look-up: 200 present, 404 absent, nothing listening unreachable, other statuses are errors', async () => {
  registry.stored.clear();
  registry.stored.add('shopmesh/x:t1');
  assert.equal(await registryHasTag(registry.host, 'shopmesh/x', 't1'), 'present');
  assert.equal(await registryHasTag(registry.host, 'shopmesh/x', 't2'), 'absent');
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  assert.equal(await registryHasTag(`127.0.0.1:${port}`, 'shopmesh/x', 't1'), 'unreachable');
  const failing = createServer((_req, res) => {
    res.statusCode = 401;
    res.end();
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  try {
    await assert.rejects(registryHasTag(`127.0.0.1:${(failing.address() as AddressInfo).port}`, 'shopmesh/x', 't1'), /answered 401/);
  } finally {
    await new Promise<void>((resolve) => failing.close(() => resolve()));
  }
});

test('npm run build: --help lists the options; contradictory flags are a usage error', async () => {
  const node = process.execPath;
  const help = await run(node, ['--import', 'tsx', 'scripts/build.ts', '--help'], { cwd: repoRoot });
  for (const flag of ['--dry-run', '--registry', '--services', '--push', '--no-push']) assert.ok(help.stdout.includes(flag), flag);
  assert.ok(help.stdout.includes('localhost:5050'));
  await assert.rejects(run(node, ['--import', 'tsx', 'scripts/build.ts', '--push', '--no-push'], { cwd: repoRoot }), (err: { code?: number; stderr?: string }) => err.code === 2 && /contradict/.test(err.stderr ?? ''));
});

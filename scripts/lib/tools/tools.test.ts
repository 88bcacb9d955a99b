import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { Runner } from '../plan.ts';
import { binDir, ChecksumMismatch, currentPlatform, ensureTool, loadPins, namesVersion, pinnedVersion, preferProjectBin, provideTool, releaseAsset, reportedVersion, TOOLS, type ToolPin } from './index.ts';
import { repoRoot } from '../versions.ts';
import { tempDir } from '../../../test/support/temp-dirs.ts';

const quiet = { write() {} };
const linux = { os: 'linux', arch: 'amd64' } as const;

function fakeExecutable(file: string, versionLine: string): void {
  writeFileSync(file, `#!/bin/sh\necho '${versionLine}'\n`);
  chmodSync(file, 0o755);
}

async function serve(routes: Record<string, Buffer>): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = routes[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function helmArchive(): Buffer {
  const dir = tempDir('helm-fixture-');
  mkdirSync(path.join(dir, 'linux-amd64'));
  fakeExecutable(path.join(dir, 'linux-amd64', 'helm'), pinnedVersion('helm'));
  const archive = path.join(dir, 'helm.tar.gz');
  execFileSync('tar', ['-czf', archive, '-C', dir, 'linux-amd64']);
  return readFileSync(archive);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a good archive is downloaded, verified, extracted into .bin and used', async (t) => {
  const archive = helmArchive();
  const server = await serve({ '/helm.tar.gz': archive });
  t.after(server.close);
  const root = tempDir('tools-root-');
  const pins = { helm: { version: pinnedVersion('helm'), sha256: { 'linux/amd64': sha(archive) } } satisfies ToolPin };
  const runner = new Runner({ out: quiet });
  const result = await ensureTool(runner, 'helm', { root, platform: linux, pins, ignorePath: true, downloadUrl: () => `${server.url}/helm.tar.gz` });
  assert.equal(result, path.join(root, '.bin', 'helm'));
  assert.equal(execFileSync(result).toString().trim(), pinnedVersion('helm'));
  assert.deepEqual(readdirSync(path.join(root, '.bin')), ['helm']);
  assert.match(runner.plan[0]!, /download .*helm\.tar\.gz to \.bin\/helm, verified against sha256/);
  // A second call finds .bin/helm at the right version and downloads nothing.
  await ensureTool(runner, 'helm', { root, platform: linux, pins, ignorePath: true, downloadUrl: () => `${server.url}/helm.tar.gz` });
  assert.equal(server.hits.length, 1);
});

test('a tampered download is refused and removed', async (t) => {
  const archive = helmArchive();
  const tampered = Buffer.concat([archive, Buffer.from('x')]);
  const server = await serve({ '/helm.tar.gz': tampered });
  t.after(server.close);
  const root = tempDir('tools-root-');
  const pins = { helm: { version: pinnedVersion('helm'), sha256: { 'linux/amd64': sha(archive) } } };
  await assert.rejects(
    ensureTool(new Runner({ out: quiet }), 'helm', { root, platform: linux, pins, ignorePath: true, downloadUrl: () => `${server.url}/helm.tar.gz` }),
    (err: Error) => err.message.includes(`its sha256 is ${sha(tampered)}`) && err.message.includes('deleted'),
  );
  assert.deepEqual(readdirSync(path.join(root, '.bin')), []);
});

test('a bare binary (kind) is installed as is', async (t) => {
  const dir = tempDir('kind-fixture-');
  fakeExecutable(path.join(dir, 'kind'), `kind ${pinnedVersion('kind')} go1.26 linux/amd64`);
  const binary = readFileSync(path.join(dir, 'kind'));
  const server = await serve({ '/kind': binary });
  t.after(server.close);
  const root = tempDir('tools-root-');
  const pins = { kind: { version: pinnedVersion('kind'), sha256: { 'linux/amd64': sha(binary) } } };
  const result = await ensureTool(new Runner({ out: quiet }), 'kind', { root, platform: linux, pins, ignorePath: true, downloadUrl: () => `${server.url}/kind` });
  assert.ok(existsSync(result));
});

test('the right version on PATH is kept; the wrong one is not', async (t) => {
  const dir = tempDir('path-');
  const saved = process.env.PATH;
  t.after(() => (process.env.PATH = saved));
  process.env.PATH = `${dir}${path.delimiter}${saved}`;
  fakeExecutable(path.join(dir, 'k3d'), `k3d version ${pinnedVersion('k3d')}`);
  const root = tempDir('tools-root-');
  assert.equal(await ensureTool(new Runner({ out: quiet }), 'k3d', { root, platform: linux }), 'k3d');
  fakeExecutable(path.join(dir, 'k3d'), 'k3d version v5.0.0');
  const dry = new Runner({ dryRun: true, out: quiet });
  assert.equal(await ensureTool(dry, 'k3d', { root, platform: linux }), path.join(root, '.bin', 'k3d'));
  assert.match(dry.plan[0]!, /k3d-linux-amd64 to \.bin\/k3d/);
});

test('a platform without a pinned checksum and without Go refuses with the exact gap', async () => {
  const root = tempDir('tools-root-');
  await assert.rejects(
    ensureTool(new Runner({ dryRun: true, out: quiet }), 'kubectl', { root, platform: { os: 'darwin', arch: 'amd64' }, ignorePath: true, pins: {}, go: null }),
    new RegExp(`no sha256 is pinned for kubectl ${pinnedVersion('kubectl')} darwin/amd64, and there is no Go >= 1.26`),
  );
});

test('with Go at hand, a tool without a usable download is built from its pinned Go module', async () => {
  const root = tempDir('tools-root-');
  const saved = process.env.SHOPMESH_TOOLS_CACHE;
  process.env.SHOPMESH_TOOLS_CACHE = tempDir('tools-cache-');
  try {
    const dry = new Runner({ dryRun: true, out: quiet });
    const go = { go: 'go', goVersion: 'go1.26.8', goos: 'darwin', goarch: 'amd64' };
    const got = await provideTool(dry, 'kubectl', { root, platform: { os: 'darwin', arch: 'amd64' }, ignorePath: true, pins: {}, go });
    assert.deepEqual(got, { path: path.join(root, '.bin', 'kubectl'), source: 'built' });
    assert.equal(dry.plan.length, 1);
    assert.match(dry.plan[0]!, new RegExp(`^\\$ go build -trimpath -ldflags '-s -w -X k8s.io/component-base/version.gitVersion=${pinnedVersion('kubectl')} .*' -o \\S+ k8s.io/kubernetes/cmd/kubectl$`));
    // kube-apiserver has no release download at all: straight to the build.
    const dry2 = new Runner({ dryRun: true, out: quiet });
    assert.equal((await provideTool(dry2, 'kube-apiserver', { root, platform: linux, ignorePath: true, go })).source, 'built');
    assert.match(dry2.plan[0]!, /k8s\.io\/kubernetes\/cmd\/kube-apiserver$/);
  } finally {
    if (saved === undefined) delete process.env.SHOPMESH_TOOLS_CACHE;
    else process.env.SHOPMESH_TOOLS_CACHE = saved;
  }
});

test('an unreachable download falls back to the build; a tampered one never does', async (t) => {
  const root = tempDir('tools-root-');
  const go = { go: 'go', goVersion: 'go1.26.8', goos: 'linux', goarch: 'amd64' };
  // A port nothing listens on: the connection is refused at once.
  const closed = await serve({});
  await closed.close();
  const pins = { helm: { version: pinnedVersion('helm'), sha256: { 'linux/amd64': 'a'.repeat(64) } } };
  // In dry-run the download is only planned, so it cannot fail: run it for real against the closed port.
  const real = new Runner({ out: quiet });
  await assert.rejects(
    provideTool(real, 'helm', { root, platform: linux, pins, ignorePath: true, go: null, downloadUrl: () => `${closed.url}/helm.tar.gz` }),
    /the download failed \(fetch failed\).*no Go >= 1\.26/,
  );
  const archive = helmArchive();
  const server = await serve({ '/helm.tar.gz': Buffer.concat([archive, Buffer.from('x')]) });
  t.after(server.close);
  await assert.rejects(
    provideTool(real, 'helm', { root, platform: linux, pins: { helm: { version: pinnedVersion('helm'), sha256: { 'linux/amd64': sha(archive) } } }, ignorePath: true, go, downloadUrl: () => `${server.url}/helm.tar.gz` }),
    ChecksumMismatch,
  );
  assert.deepEqual(readdirSync(path.join(root, '.bin')), []);
});

test('checksums.yaml pins exactly the versions in versions.yaml, with well-formed sha256 values', () => {
  const pins = loadPins();
  for (const tool of TOOLS) {
    const pin = pins[tool];
    if (!releaseAsset(tool, linux, pinnedVersion(tool))) {
      assert.equal(pin, undefined, `${tool} has no release download, so no checksum`);
      continue;
    }
    assert.ok(pin, `${tool} has pins`);
    assert.equal(pin.version.replace(/^v/, ''), pinnedVersion(tool).replace(/^v/, ''), tool);
    for (const [platform, value] of Object.entries(pin.sha256)) {
      assert.match(platform, /^(linux|darwin)\/(amd64|arm64)$/);
      assert.match(value ?? '', /^[0-9a-f]{64}$/, `${tool} ${platform}`);
    }
  }
  assert.equal(releaseAsset('k6', { os: 'darwin', arch: 'arm64' }, 'v2.3.0')?.url, 'https://github.com/grafana/k6/releases/download/v2.3.0/k6-v2.3.0-macos-arm64.zip');
});

test('Ctrl-C during a download leaves no partial file in .bin', async (t) => {
  // A server that sends half the body and then stalls, so the download is surely under way.
  let release!: () => void;
  const stalled = new Promise<void>((r) => (release = r));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '1048576', 'content-type': 'application/octet-stream' });
    res.write(Buffer.alloc(524288));
    void stalled.then(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    release();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kind`;
  const root = tempDir('tools-root-');
  const script = `
    import { ensureTool } from ${JSON.stringify(path.join(import.meta.dirname, 'index.ts'))};
    import { Runner } from ${JSON.stringify(path.join(import.meta.dirname, '..', 'plan.ts'))};
    const pins = { kind: { version: ${JSON.stringify(pinnedVersion('kind'))}, sha256: { 'linux/amd64': ${JSON.stringify('0'.repeat(64))} } } };
    await ensureTool(new Runner({ out: { write() {} } }), 'kind', { root: ${JSON.stringify(root)}, platform: { os: 'linux', arch: 'amd64' }, pins, ignorePath: true, go: null, downloadUrl: () => ${JSON.stringify(url)} });
  `;
  const { spawn } = await import('node:child_process');
  // Node strips the types itself: no tsx boot, which each mutant's run would pay.
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  let gone = false;
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => ((gone = true), r(code ?? (signal ? 130 : null)))));
  const bin = path.join(root, '.bin');
  const started = Date.now();
  const partialSeen = () => existsSync(bin) && readdirSync(bin).some((f) => f.startsWith('.download-'));
  // Until the partial file appears, or the child ends without one (then waiting longer shows nothing).
  while (!partialSeen() && !gone && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(partialSeen(), `the download was under way, its partial file in .bin${gone ? ' (the child exited before it started)' : ''}`);
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  assert.deepEqual(readdirSync(bin), [], 'nothing is left in .bin');
});

test('release assets: the official URL for each tool and platform, the member inside archives', () => {
  const mac = { os: 'darwin', arch: 'arm64' } as const;
  assert.deepEqual(releaseAsset('kubectl', mac, 'v1.35.8'), { url: 'https://dl.k8s.io/release/v1.35.8/bin/darwin/arm64/kubectl' });
  assert.deepEqual(releaseAsset('helm', linux, 'v4.2.4'), { url: 'https://get.helm.sh/helm-v4.2.4-linux-amd64.tar.gz', member: 'linux-amd64/helm' });
  assert.deepEqual(releaseAsset('k3d', mac, 'v5.9.0'), { url: 'https://github.com/k3d-io/k3d/releases/download/v5.9.0/k3d-darwin-arm64' });
  assert.deepEqual(releaseAsset('kind', linux, 'v0.33.0'), { url: 'https://github.com/kubernetes-sigs/kind/releases/download/v0.33.0/kind-linux-amd64' });
  assert.deepEqual(releaseAsset('k6', linux, 'v2.3.0'), { url: 'https://github.com/grafana/k6/releases/download/v2.3.0/k6-v2.3.0-linux-amd64.tar.gz', member: 'k6-v2.3.0-linux-amd64/k6' });
  assert.equal(releaseAsset('k6', mac, 'v2.3.0')?.member, 'k6-v2.3.0-macos-arm64/k6');
  // Tilt names its assets by bare version, "mac" and "x86_64".
  assert.deepEqual(releaseAsset('tilt', linux, 'v0.37.1'), { url: 'https://github.com/tilt-dev/tilt/releases/download/v0.37.1/tilt.0.37.1.linux.x86_64.tar.gz', member: 'tilt' });
  assert.equal(releaseAsset('tilt', mac, 'v0.37.1')?.url, 'https://github.com/tilt-dev/tilt/releases/download/v0.37.1/tilt.0.37.1.mac.arm64.tar.gz');
  for (const sourceOnly of ['istioctl', 'kube-apiserver', 'etcd', 'pilot-discovery', 'shopmesh-xds'] as const) assert.equal(releaseAsset(sourceOnly, linux, 'v1.0.0'), undefined, sourceOnly);
});

test('a version line names the pinned version only as a whole token', () => {
  assert.equal(namesVersion('Client Version: v1.35.8\nKustomize Version: v5.7.1', 'v1.35.8'), true);
  assert.equal(namesVersion('kind v0.33.0 go1.26.8 linux/amd64', 'v0.33.0'), true);
  assert.equal(namesVersion('4.2.4', 'v4.2.4'), true, 'the v is optional');
  assert.equal(namesVersion('Client Version: v1.35.80', 'v1.35.8'), false);
  assert.equal(namesVersion('Client Version: v11.35.8', 'v1.35.8'), false);
  assert.equal(namesVersion('version 1.35.8-rc.1', 'v1.35.8'), false, 'a pre-release is another version');
  assert.equal(namesVersion('version 1x35x8', 'v1.35.8'), false, 'dots are dots, not any character');
});

test('the reported version: the pinned one when named, else the first version token, else none', async () => {
  const dir = tempDir('reported-');
  const runner = new Runner({ out: quiet });
  fakeExecutable(path.join(dir, 'right'), `k3d version ${pinnedVersion('k3d')} (k3s v1.35.5-k3s1)`);
  assert.equal(await reportedVersion(runner, 'k3d', path.join(dir, 'right')), pinnedVersion('k3d'));
  fakeExecutable(path.join(dir, 'older'), 'k3d version v5.0.0-rc.2 (k3s v1.35.5-k3s1)');
  assert.equal(await reportedVersion(runner, 'k3d', path.join(dir, 'older')), 'v5.0.0-rc.2');
  fakeExecutable(path.join(dir, 'silent'), 'no version here');
  assert.equal(await reportedVersion(runner, 'k3d', path.join(dir, 'silent')), undefined);
  writeFileSync(path.join(dir, 'failing'), `#!/bin/sh\necho 'k3d version ${pinnedVersion('k3d')}'\nexit 3\n`);
  chmodSync(path.join(dir, 'failing'), 0o755);
  assert.equal(await reportedVersion(runner, 'k3d', path.join(dir, 'failing')), undefined, 'a failing command reports nothing');
  assert.equal(await reportedVersion(runner, 'k3d', path.join(dir, 'missing')), undefined);
});

test('.bin: an explicit root, else SHOPMESH_BIN_DIR, else the repository; preferProjectBin puts it first once', (t) => {
  const savedBin = process.env.SHOPMESH_BIN_DIR;
  const savedPath = process.env.PATH;
  t.after(() => {
    if (savedBin === undefined) delete process.env.SHOPMESH_BIN_DIR;
    else process.env.SHOPMESH_BIN_DIR = savedBin;
    process.env.PATH = savedPath;
  });
  delete process.env.SHOPMESH_BIN_DIR;
  assert.equal(binDir(), path.join(repoRoot, '.bin'));
  process.env.SHOPMESH_BIN_DIR = '/elsewhere/bin';
  assert.equal(binDir(), '/elsewhere/bin');
  assert.equal(binDir('/some/root'), path.join('/some/root', '.bin'), 'an explicit root wins');
  process.env.PATH = ['/usr/bin', '/some/root/.bin', '/bin'].join(path.delimiter);
  preferProjectBin('/some/root');
  assert.equal(process.env.PATH, ['/some/root/.bin', '/usr/bin', '/bin'].join(path.delimiter));
  preferProjectBin('/some/root');
  assert.equal(process.env.PATH, ['/some/root/.bin', '/usr/bin', '/bin'].join(path.delimiter), 'a second call changes nothing');
});

test('refusals name the gap: a checksum file behind versions.yaml, an HTTP error, a wrong binary, no route at all', async (t) => {
  const root = tempDir('tools-root-');
  const runner = new Runner({ out: quiet });
  await assert.rejects(
    provideTool(runner, 'helm', { root, platform: linux, ignorePath: true, go: null, pins: { helm: { version: 'v4.0.0', sha256: { 'linux/amd64': 'a'.repeat(64) } } } }),
    new RegExp(`checksums\\.yaml pins helm v4\\.0\\.0, but versions\\.yaml asks for ${pinnedVersion('helm')}`),
  );
  const dir = tempDir('kind-fixture-');
  fakeExecutable(path.join(dir, 'kind'), 'kind v0.1.0 go1.26 linux/amd64');
  const wrong = readFileSync(path.join(dir, 'kind'));
  const server = await serve({ '/kind': wrong });
  t.after(server.close);
  const pins = { kind: { version: pinnedVersion('kind'), sha256: { 'linux/amd64': sha(wrong) } } };
  await assert.rejects(
    provideTool(runner, 'kind', { root, platform: linux, ignorePath: true, go: null, pins, downloadUrl: () => `${server.url}/missing` }),
    /the download failed \(downloading kind failed: .*\/missing answered 404\)/,
  );
  await assert.rejects(
    provideTool(runner, 'kind', { root, platform: linux, ignorePath: true, go: null, pins, downloadUrl: () => `${server.url}/kind` }),
    /the downloaded kind reports v0\.1\.0, not .*; it was removed/,
  );
  assert.deepEqual(readdirSync(path.join(root, '.bin')), [], 'the wrong binary is gone');
  // k6 is not built from Go: without a usable download there is nothing else to try.
  await assert.rejects(provideTool(runner, 'k6', { root, platform: linux, ignorePath: true, pins: {} }), /cannot provide k6 .*no sha256 is pinned for k6/);
  await assert.rejects(provideTool(runner, 'etcd', { root, platform: linux, ignorePath: true, pins: {}, go: null }), new RegExp(`etcd ${pinnedVersion('etcd')} has no release download, and there is no Go`));
});

test("the project's own Go programs are rebuilt when their source changed, though their version is the same", async () => {
  const { buildKey, findGo, goTool, keyStamp } = await import('./gobuild.ts');
  const go = await findGo(new Runner({ out: quiet }));
  assert.ok(go, 'Go >= 1.26 is on PATH');
  const charts = goTool('shopmesh-charts');
  const real = path.join(path.dirname(path.dirname(path.dirname(import.meta.dirname))), '.bin', 'shopmesh-charts');
  assert.ok(existsSync(real), 'npm run tools provided shopmesh-charts');
  const root = tempDir('tools-root-');
  mkdirSync(path.join(root, '.bin'));
  const local = path.join(root, '.bin', 'shopmesh-charts');
  writeFileSync(local, readFileSync(real));
  chmodSync(local, 0o755);
  // Same version, but stamped with another source's key: stale, so it is built again.
  writeFileSync(keyStamp(path.join(root, '.bin'), charts), 'an-older-source\n');
  const dry = new Runner({ dryRun: true, out: quiet });
  // Replaced by the current source's build: from this machine's build cache when it has one, else compiled.
  const replaced = (await provideTool(dry, 'shopmesh-charts', { root, ignorePath: true, go })).source;
  assert.ok(replaced === 'cache' || replaced === 'built', replaced);
  assert.match(dry.plan.join('\n'), replaced === 'cache' ? new RegExp(`copy the cached build \\S+shopmesh-charts-${buildKey(charts, go)} to ${local}`) : /shopmesh\.local\/tools\/istio\/cmd\/shopmesh-charts/);
  // Stamped with the current source's key: present, nothing to do.
  writeFileSync(keyStamp(path.join(root, '.bin'), charts), `${buildKey(charts, go)}\n`);
  const again = new Runner({ dryRun: true, out: quiet });
  assert.equal((await provideTool(again, 'shopmesh-charts', { root, ignorePath: true, go })).source, 'present');
  assert.deepEqual(again.plan, []);
});

test('the platform: linux or darwin on amd64 or arm64 in release names; anything else is refused by name', (t) => {
  const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
  const arch = Object.getOwnPropertyDescriptor(process, 'arch')!;
  t.after(() => {
    Object.defineProperty(process, 'platform', platform);
    Object.defineProperty(process, 'arch', arch);
  });
  const on = (p: string, a: string) => {
    Object.defineProperty(process, 'platform', { ...platform, value: p });
    Object.defineProperty(process, 'arch', { ...arch, value: a });
    return currentPlatform;
  };
  assert.deepEqual(on('linux', 'x64')(), { os: 'linux', arch: 'amd64' });
  assert.deepEqual(on('darwin', 'arm64')(), { os: 'darwin', arch: 'arm64' });
  assert.deepEqual(on('linux', 'arm64')(), { os: 'linux', arch: 'arm64' });
  assert.deepEqual(on('darwin', 'x64')(), { os: 'darwin', arch: 'amd64' });
  assert.throws(on('win32', 'x64'), /not win32\/x64/);
  assert.throws(on('linux', 'ia32'), /not linux\/ia32/);
  assert.throws(on('freebsd', 'arm64'), /not freebsd\/arm64/);
});

test('reported versions: without a v, several digits, the pinned one wherever it stands; k6 is asked with `version`', async () => {
  const dir = tempDir('reported-more-');
  const runner = new Runner({ out: quiet });
  fakeExecutable(path.join(dir, 'plain'), 'helm 10.20.30-beta.1+abc');
  assert.equal(await reportedVersion(runner, 'helm', path.join(dir, 'plain')), '10.20.30-beta.1+abc'.replace(/\+.*/, ''));
  fakeExecutable(path.join(dir, 'late'), `built with go1.26.8, kind ${pinnedVersion('kind')} linux/amd64`);
  assert.equal(await reportedVersion(runner, 'kind', path.join(dir, 'late')), pinnedVersion('kind'), 'the pinned version, not the Go version before it');
  writeFileSync(path.join(dir, 'k6'), `#!/bin/sh\n[ "$1" = version ] && echo 'k6 v2.3.0 (go1.26.8, linux/amd64)' || exit 1\n`);
  chmodSync(path.join(dir, 'k6'), 0o755);
  assert.equal(await reportedVersion(runner, 'k6', path.join(dir, 'k6')), 'v2.3.0');
});

test('where a tool comes from: .bin at the pinned version, else PATH unless ignored, else the download', async (t) => {
  const root = tempDir('tools-root-');
  const onPath = tempDir('path-');
  const saved = process.env.PATH;
  t.after(() => (process.env.PATH = saved));
  process.env.PATH = `${onPath}${path.delimiter}${saved}`;
  fakeExecutable(path.join(onPath, 'k3d'), `k3d version ${pinnedVersion('k3d')}`);
  const dry = () => new Runner({ dryRun: true, out: quiet });
  const opts = { root, platform: linux, go: null };
  assert.deepEqual(await provideTool(dry(), 'k3d', opts), { path: 'k3d', source: 'path' });
  const ignoring = dry();
  assert.deepEqual(await provideTool(ignoring, 'k3d', { ...opts, ignorePath: true }), { path: path.join(root, '.bin', 'k3d'), source: 'downloaded' });
  assert.match(ignoring.plan[0]!, /^api: download https:\/\/github\.com\/k3d-io\/k3d\/releases\/download\/.*k3d-linux-amd64 to \.bin\/k3d, verified against sha256 [0-9a-f]{64}$/);
  mkdirSync(path.join(root, '.bin'));
  fakeExecutable(path.join(root, '.bin', 'k3d'), 'k3d version v5.0.0');
  assert.equal((await provideTool(dry(), 'k3d', { ...opts, ignorePath: true })).source, 'downloaded', 'a .bin tool at another version is replaced');
  fakeExecutable(path.join(root, '.bin', 'k3d'), `k3d version ${pinnedVersion('k3d')}`);
  const present = dry();
  assert.deepEqual(await provideTool(present, 'k3d', opts), { path: path.join(root, '.bin', 'k3d'), source: 'present' });
  assert.deepEqual(present.plan, [], 'nothing to do');
  await assert.rejects(provideTool(dry(), 'k6', { root, platform: linux, ignorePath: true, pins: {} }), (e: Error) => e.message === `cannot provide k6 ${pinnedVersion('k6')}: no sha256 is pinned for k6 ${pinnedVersion('k6')} linux/amd64`);
});

test('preferProjectBin with no PATH at all gives just .bin', (t) => {
  const saved = process.env.PATH;
  t.after(() => (process.env.PATH = saved));
  delete process.env.PATH;
  preferProjectBin('/r');
  assert.equal(process.env.PATH, ['/r/.bin', ''].join(path.delimiter));
});

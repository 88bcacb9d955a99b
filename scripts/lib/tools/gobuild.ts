// Builds the upstream tools from their Go modules (tools/<module>/go.mod pins each one), for
// machines where the pinned release download cannot be had, and for the tools that have none
// (kube-apiserver, etcd, pilot-discovery, and istioctl at the commit the Go module proxy serves).
// A build is cached per machine under the key of everything that decides its bytes, so a fresh
// clone on the same machine links nothing twice.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { repoRoot, version } from '../versions.ts';

export interface GoTool {
  /** The executable's name in .bin/. */
  name: string;
  /** The folder under tools/ whose go.mod pins the module. */
  module: string;
  /** The Go package of the command. */
  pkg: string;
  /** The module whose version go.mod must pin at `versionKey` (checked by a test). */
  upstream: string;
  /** The key in versions.yaml that holds the version. */
  versionKey: string;
  /** Linker flags that stamp the version the tool reports. */
  ldflags: (v: string) => string[];
  /** Arguments that make the tool print its version, and how to find the pin in that output. */
  versionArgs: string[];
  /** Environment the go command needs for this module's one-time resolution (documented beside it). */
  env?: Record<string, string>;
}

const kube = (v: string) => {
  const [, major, minor] = /^v(\d+)\.(\d+)/.exec(v) ?? [];
  return [
    `-X k8s.io/component-base/version.gitVersion=${v}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    `-X k8s.io/client-go/pkg/version.gitVersion=${v}`,
  ];
};

export const GO_TOOLS: readonly GoTool[] = [
  { name: 'kube-apiserver', module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', upstream: 'k8s.io/kubernetes', versionKey: 'tools.kube-apiserver', ldflags: kube, versionArgs: ['--version'] },
  { name: 'kubectl', module: 'kubernetes', pkg: 'k8s.io/kubernetes/cmd/kubectl', upstream: 'k8s.io/kubernetes', versionKey: 'tools.kubectl', ldflags: kube, versionArgs: ['version', '--client'] },
  { name: 'etcd', module: 'etcd', pkg: 'go.etcd.io/etcd/server/v3', upstream: 'go.etcd.io/etcd/server/v3', versionKey: 'tools.etcd', ldflags: () => [], versionArgs: ['--version'] },
  { name: 'helm', module: 'helm', pkg: 'helm.sh/helm/v4/cmd/helm', upstream: 'helm.sh/helm/v4', versionKey: 'tools.helm', ldflags: (v) => [`-X helm.sh/helm/v4/internal/version.version=${v}`], versionArgs: ['version', '--template', '{{.Version}}'] },
  { name: 'istioctl', module: 'istio', pkg: 'istio.io/istio/istioctl/cmd/istioctl', upstream: 'istio.io/istio', versionKey: 'tools.istioctl', ldflags: (v) => [`-X istio.io/istio/pkg/version.buildVersion=${v}`], versionArgs: ['version', '--remote=false'] },
  { name: 'pilot-discovery', module: 'istio', pkg: 'istio.io/istio/pilot/cmd/pilot-discovery', upstream: 'istio.io/istio', versionKey: 'tools.pilot-discovery', ldflags: (v) => [`-X istio.io/istio/pkg/version.buildVersion=${v}`], versionArgs: ['version', '-s'] },
  // The project's own program: Istio's fake discovery server generating the Envoy config of an overlay (npm run xds).
  { name: 'shopmesh-xds', module: 'istio', pkg: 'shopmesh.local/tools/istio/cmd/shopmesh-xds', upstream: 'istio.io/istio', versionKey: 'tools.istioctl', ldflags: () => [], versionArgs: ['--version'] },
  // The project's own program: writes out the Helm charts istio.io/istio embeds (what istioctl installs from), for `helm template`.
  { name: 'shopmesh-charts', module: 'istio', pkg: 'shopmesh.local/tools/istio/cmd/shopmesh-charts', upstream: 'istio.io/istio', versionKey: 'tools.istioctl', ldflags: () => [], versionArgs: ['--version'] },
  { name: 'kind', module: 'kind', pkg: 'sigs.k8s.io/kind', upstream: 'sigs.k8s.io/kind', versionKey: 'tools.kind', ldflags: () => [], versionArgs: ['version'] },
  { name: 'k3d', module: 'k3d', pkg: 'github.com/k3d-io/k3d/v5', upstream: 'github.com/k3d-io/k3d/v5', versionKey: 'tools.k3d', ldflags: (v) => [`-X github.com/k3d-io/k3d/v5/version.Version=${v}`, `-X github.com/k3d-io/k3d/v5/version.K3sVersion=${version('images.k3s').split(':')[1]}`], versionArgs: ['version'] },
  {
    name: 'tilt',
    module: 'tilt',
    pkg: 'github.com/tilt-dev/tilt/cmd/tilt',
    upstream: 'github.com/tilt-dev/tilt',
    versionKey: 'tools.tilt',
    ldflags: (v) => [`-X main.version=${v.replace(/^v/, '')}`],
    versionArgs: ['version'],
    // The checksum database has no entry for this one dependency, which the proxy serves; go.sum
    // pins its hash, so only a fresh resolution (go get) ever needs the exemption.
    env: { GONOSUMDB: 'github.com/tilt-dev/starlark-lsp' },
  },
];

/**
 * A program of the tools module itself (shopmesh-xds, shopmesh-charts), not an upstream command: its
 * version says nothing of its source, which lives in the module.
 */
export function isOwnProgram(tool: GoTool, toolsDir = TOOLS_DIR): boolean {
  const goMod = readFileSync(path.join(toolsDir, tool.module, 'go.mod'), 'utf8');
  const own = /^module (\S+)$/m.exec(goMod)?.[1];
  return Boolean(own && (tool.pkg === own || tool.pkg.startsWith(`${own}/`)));
}

/** Where .bin/ records the build key a program was placed with. */
export function keyStamp(binDir: string, tool: GoTool): string {
  return path.join(binDir, `.${tool.name}.buildkey`);
}

export function goTool(name: string): GoTool {
  const tool = GO_TOOLS.find((t) => t.name === name);
  if (!tool) throw new Error(`no Go tool named ${name}`);
  return tool;
}

export const TOOLS_DIR = path.join(repoRoot, 'tools');

/** Where built binaries are kept across clones: SHOPMESH_TOOLS_CACHE, else the user's cache folder. */
export function toolsCacheDir(): string {
  if (process.env.SHOPMESH_TOOLS_CACHE) return process.env.SHOPMESH_TOOLS_CACHE;
  const base = process.env.XDG_CACHE_HOME ?? (process.platform === 'darwin' ? path.join(os.homedir(), 'Library', 'Caches') : path.join(os.homedir(), '.cache'));
  return path.join(base, 'shopmesh', 'tools');
}

export interface GoEnv {
  go: string;
  goVersion: string;
  goos: string;
  goarch: string;
}

/** The go command on PATH, if it is new enough for the tools' go.mod files (1.26). */
export async function findGo(runner: Runner): Promise<GoEnv | undefined> {
  const r = await runner.query('go', ['env', 'GOVERSION', 'GOOS', 'GOARCH']).catch(() => undefined);
  if (!r || r.code !== 0) return undefined;
  const [goVersion = '', goos = '', goarch = ''] = r.stdout.trim().split('\n');
  const m = /^go(\d+)\.(\d+)/.exec(goVersion);
  if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 26)) return undefined;
  return { go: 'go', goVersion, goos, goarch };
}

/** The module's own Go source files (the project's programs in it), in a stable order. */
function ownGoFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.go')) found.push(full);
    }
  };
  walk(dir);
  return found;
}

/**
 * Everything that decides a build's bytes: the module's go.mod and go.sum, for the module's own
 * programs its Go files (an edit to shopmesh-xds must not be served from an older build), the flags,
 * Go and the platform.
 */
export function buildKey(tool: GoTool, go: GoEnv, toolsDir = TOOLS_DIR): string {
  const h = createHash('sha256');
  const dir = path.join(toolsDir, tool.module);
  for (const f of ['go.mod', 'go.sum']) h.update(readFileSync(path.join(dir, f)));
  // An upstream command links only what go.sum pins: an edit to the module's own programs leaves it alone.
  if (isOwnProgram(tool, toolsDir)) for (const f of ownGoFiles(dir)) h.update(path.relative(dir, f)).update('\0').update(readFileSync(f));
  h.update(JSON.stringify([tool.pkg, tool.ldflags(version(tool.versionKey)), go.goVersion, go.goos, go.goarch]));
  return h.digest('hex').slice(0, 16);
}

export function buildArgs(tool: GoTool, output: string): string[] {
  const ldflags = ['-s', '-w', ...tool.ldflags(version(tool.versionKey))].join(' ');
  return ['build', '-trimpath', '-ldflags', ldflags, '-o', output, tool.pkg];
}

/**
 * Puts `tool` into binDir, built from its Go module: from the per-machine cache when a build with
 * the same key exists, else built now (minutes for the large ones) and cached. Returns where it came from.
 */
export async function buildGoTool(runner: Runner, tool: GoTool, go: GoEnv, binDir: string, toolsDir = TOOLS_DIR): Promise<'cache' | 'built'> {
  const key = buildKey(tool, go, toolsDir);
  const cacheDir = toolsCacheDir();
  const cached = path.join(cacheDir, `${tool.name}-${key}`);
  const target = path.join(binDir, tool.name);
  mkdirSync(binDir, { recursive: true });
  const stamp = () => writeFileSync(keyStamp(binDir, tool), `${key}\n`);
  if (existsSync(cached)) {
    await runner.api(`copy the cached build ${cached} to ${target}`, async () => {
      placeFile(cached, target);
      stamp();
    });
    return 'cache';
  }
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${cached}.partial-${process.pid}`;
  try {
    await runner.exec(go.go, buildArgs(tool, partial), {
      cwd: path.join(toolsDir, tool.module),
      env: { GOFLAGS: '-mod=readonly', ...tool.env },
    });
    if (!runner.dryRun) {
      renameSync(partial, cached);
      placeFile(cached, target);
      stamp();
    }
  } catch (err) {
    throw new FixableError(`building ${tool.name} from ${tool.pkg} failed: ${(err as Error).message}`, `run it by hand to see the whole output: (cd tools/${tool.module} && go ${buildArgs(tool, '/tmp/' + tool.name).join(' ')})`);
  } finally {
    rmSync(partial, { force: true });
  }
  return 'built';
}

function placeFile(from: string, to: string): void {
  const tmp = `${to}.tmp-${process.pid}`;
  copyFileSync(from, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, to);
}

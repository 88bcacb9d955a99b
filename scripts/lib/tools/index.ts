// Finds each tool at its pinned version: .bin/ or PATH if it is the right version, else the official
// release downloaded into .bin/ and verified against a pinned sha256, else (no release for this
// platform, or none reachable) built from its Go module (gobuild.ts). A checksum mismatch never
// falls back: it stops with the reason.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { repoRoot, version } from '../versions.ts';
import { buildGoTool, buildKey, findGo, GO_TOOLS, isOwnProgram, keyStamp, type GoEnv, type GoTool } from './gobuild.ts';

export const TOOLS = ['kubectl', 'helm', 'k3d', 'kind', 'k6', 'tilt', 'istioctl', 'kube-apiserver', 'etcd', 'pilot-discovery', 'shopmesh-xds', 'shopmesh-charts'] as const;
export type ToolName = (typeof TOOLS)[number];

export interface Platform {
  os: 'linux' | 'darwin';
  arch: 'amd64' | 'arm64';
}

export interface ToolPin {
  version: string;
  source?: string;
  sha256: Partial<Record<string, string>>;
}

export interface EnsureToolOptions {
  /** Where .bin/ lives (default: the repository root). */
  root?: string;
  platform?: Platform;
  /** Pins to use instead of checksums.yaml (tests serve fixture archives). */
  pins?: Partial<Record<ToolName, ToolPin>>;
  /** Replaces the official download URL (tests use a loopback server). */
  downloadUrl?: (tool: ToolName, platform: Platform, version: string) => string;
  /** Skip PATH (a test that must exercise the download). */
  ignorePath?: boolean;
  /** The go command to build with; null: never build (default: look for Go >= 1.26 on PATH). */
  go?: GoEnv | null;
}

/** Where a tool came from: already in .bin/, on PATH, downloaded, built now, or copied from this machine's build cache. */
export type ToolSource = 'present' | 'path' | 'downloaded' | 'built' | 'cache';

/** A download whose bytes are not the pinned ones: never retried by another route. */
export class ChecksumMismatch extends FixableError {}

export const CHECKSUMS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'checksums.yaml');

export function currentPlatform(): Platform {
  const os = process.platform === 'darwin' ? 'darwin' : process.platform === 'linux' ? 'linux' : undefined;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : undefined;
  if (!os || !arch) throw new FixableError(`shopmesh downloads tools for linux and darwin on amd64/arm64, not ${process.platform}/${process.arch}`, 'install kubectl, helm, k3d or kind yourself at the versions in versions.yaml');
  return { os, arch };
}

/** The version versions.yaml pins for a tool (the project's own Go programs follow the module they link). */
export function pinnedVersion(tool: ToolName): string {
  return version(GO_TOOLS.find((t) => t.name === tool)?.versionKey ?? `tools.${tool}`);
}

export function loadPins(file = CHECKSUMS_FILE): Partial<Record<ToolName, ToolPin>> {
  return YAML.parse(readFileSync(file, 'utf8')) as Partial<Record<ToolName, ToolPin>>;
}

interface Asset {
  url: string;
  /** Path of the executable inside the archive; undefined for a bare binary. */
  member?: string;
}

/** The official release asset of a tool for one platform. */
export function releaseAsset(tool: ToolName, p: Platform, v: string): Asset | undefined {
  const bare = v.replace(/^v/, '');
  switch (tool) {
    case 'kubectl':
      return { url: `https://dl.k8s.io/release/${v}/bin/${p.os}/${p.arch}/kubectl` };
    case 'helm':
      return { url: `https://get.helm.sh/helm-${v}-${p.os}-${p.arch}.tar.gz`, member: `${p.os}-${p.arch}/helm` };
    case 'k3d':
      return { url: `https://github.com/k3d-io/k3d/releases/download/${v}/k3d-${p.os}-${p.arch}` };
    case 'kind':
      return { url: `https://github.com/kubernetes-sigs/kind/releases/download/${v}/kind-${p.os}-${p.arch}` };
    case 'k6': {
      const os = p.os === 'darwin' ? 'macos' : 'linux';
      const ext = p.os === 'darwin' ? 'zip' : 'tar.gz';
      return { url: `https://github.com/grafana/k6/releases/download/${v}/k6-${v}-${os}-${p.arch}.${ext}`, member: `k6-${v}-${os}-${p.arch}/k6` };
    }
    case 'tilt': {
      const os = p.os === 'darwin' ? 'mac' : 'linux';
      const arch = p.arch === 'amd64' ? 'x86_64' : 'arm64';
      return { url: `https://github.com/tilt-dev/tilt/releases/download/v${bare}/tilt.${bare}.${os}.${arch}.tar.gz`, member: 'tilt' };
    }
    default:
      // kube-apiserver, etcd, istioctl and pilot-discovery at these pins have no release download.
      return undefined;
  }
}

const VERSION_ARGS: Record<ToolName, string[]> = {
  ...(Object.fromEntries(GO_TOOLS.map((t) => [t.name, t.versionArgs])) as Record<Exclude<ToolName, 'k6'>, string[]>),
  k6: ['version'],
};

function sameVersion(a: string, b: string): boolean {
  return a.replace(/^v/, '') === b.replace(/^v/, '');
}

/** Whether a version line names `wanted` as a whole token (v1.35.8 is not v1.35.80). */
export function namesVersion(output: string, wanted: string): boolean {
  const bare = wanted.replace(/^v/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w.-])v?${bare}($|[^\\w.-])`, 'm').test(output);
}

/**
 * The version a tool executable reports: the pinned one when its output names it, else the first
 * version-looking token, or undefined when it cannot be run.
 */
export async function reportedVersion(runner: Runner, tool: ToolName, executable: string): Promise<string | undefined> {
  let result;
  try {
    result = await runner.query(executable, VERSION_ARGS[tool], { timeoutMs: 20_000 });
  } catch {
    return undefined;
  }
  if (result.code !== 0) return undefined;
  const output = `${result.stdout}\n${result.stderr}`;
  const wanted = pinnedVersion(tool);
  if (namesVersion(output, wanted)) return wanted;
  return /v?\d+\.\d+\.\d+[\w.-]*/.exec(output)?.[0];
}

/**
 * The folder that holds the project's tools: <root>/.bin for an explicit root; otherwise
 * $SHOPMESH_BIN_DIR when set (tools kept elsewhere, or tests that must not see the real ones),
 * else the repository's .bin/.
 */
export function binDir(root?: string): string {
  if (root) return path.join(root, '.bin');
  return process.env.SHOPMESH_BIN_DIR || path.join(repoRoot, '.bin');
}

/**
 * Returns the executable to use for `tool` at its pinned version: .bin/<tool> when it is right, else
 * the one on PATH when it is right, else a verified download into .bin/, else a build from its Go module.
 */
export async function ensureTool(runner: Runner, tool: ToolName, opts: EnsureToolOptions = {}): Promise<string> {
  return (await provideTool(runner, tool, opts)).path;
}

/** ensureTool, saying where the tool came from (for `npm run tools`). */
export async function provideTool(runner: Runner, tool: ToolName, opts: EnsureToolOptions = {}): Promise<{ path: string; source: ToolSource }> {
  const root = opts.root;
  const wanted = pinnedVersion(tool);
  const local = path.join(binDir(root), tool);
  const goTool = GO_TOOLS.find((t) => t.name === tool);
  const go = opts.go === undefined ? undefined : opts.go;
  if (existsSync(local)) {
    const v = await reportedVersion(runner, tool, local);
    if (v && sameVersion(v, wanted) && (await currentBuild(runner, goTool, local, go))) return { path: local, source: 'present' };
  }
  if (!opts.ignorePath) {
    const v = await reportedVersion(runner, tool, tool);
    if (v && sameVersion(v, wanted)) return { path: tool, source: 'path' };
  }
  const platform = opts.platform ?? currentPlatform();
  const pins = opts.pins ?? loadPins();
  const pin = pins[tool];
  const key = `${platform.os}/${platform.arch}`;
  const why: string[] = [];
  if (pin && !sameVersion(pin.version, wanted)) {
    throw new FixableError(
      `checksums.yaml pins ${tool} ${pin.version}, but versions.yaml asks for ${wanted}`,
      `update scripts/lib/tools/checksums.yaml from the official release of ${tool} ${wanted}`,
    );
  }
  const sha256 = pin?.sha256[key];
  const asset = releaseAsset(tool, platform, wanted);
  if (sha256 && asset) {
    const url = opts.downloadUrl?.(tool, platform, wanted) ?? asset.url;
    try {
      await runner.api(`download ${url} to .bin/${tool}, verified against sha256 ${sha256}`, () => download(tool, url, sha256, asset.member, root));
      await verifyVersion(runner, tool, local, wanted, 'downloaded');
      return { path: local, source: 'downloaded' };
    } catch (err) {
      // Tampered bytes or a wrong binary stop here; only an unreachable download falls back to a build.
      if (err instanceof ChecksumMismatch || !goTool) throw err;
      why.push(`the download failed (${(err as Error).message.split('\n')[0]})`);
    }
  } else {
    why.push(asset ? `no sha256 is pinned for ${tool} ${wanted} ${key}` : `${tool} ${wanted} has no release download`);
  }
  if (!goTool) {
    throw new FixableError(
      `cannot provide ${tool} ${wanted}: ${why.join('; ')}`,
      `install ${tool} ${wanted} yourself (so it is on PATH), or add its checksum from the official release to scripts/lib/tools/checksums.yaml`,
    );
  }
  const builder = go === undefined ? await findGo(runner) : go;
  if (!builder) {
    throw new FixableError(
      `cannot provide ${tool} ${wanted}: ${why.join('; ')}, and there is no Go >= 1.26 on PATH to build it from ${goTool.upstream}`,
      `install Go 1.26 or newer (https://go.dev/dl/) and run \`npm run tools\` again, or put ${tool} ${wanted} on your PATH`,
    );
  }
  const source = await buildGoTool(runner, goTool, builder, binDir(root));
  await verifyVersion(runner, tool, local, wanted, 'built');
  return { path: local, source };
}

/**
 * Whether .bin/ holds the build of the current source: always for upstream tools (their version says
 * it); for the project's own programs, only when the stamp matches the source's build key.
 */
async function currentBuild(runner: Runner, goTool: GoTool | undefined, local: string, go: GoEnv | null | undefined): Promise<boolean> {
  if (!goTool || !isOwnProgram(goTool)) return true;
  const builder = go === undefined ? await findGo(runner) : go;
  if (!builder) return true; // nothing to rebuild with: the program at hand is the best there is
  const stamp = keyStamp(path.dirname(local), goTool);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === buildKey(goTool, builder);
}

async function verifyVersion(runner: Runner, tool: ToolName, local: string, wanted: string, how: string): Promise<void> {
  if (runner.dryRun) return;
  const v = await reportedVersion(runner, tool, local);
  if (!v || !sameVersion(v, wanted)) {
    rmSync(local, { force: true });
    throw new FixableError(`the ${how} ${tool} reports ${v ?? 'no version'}, not ${wanted}; it was removed`, `install ${tool} ${wanted} yourself`);
  }
}

/** Files to delete if the process is interrupted (Ctrl-C) while they exist. */
const partialFiles = new Set<string>();
let interruptHooked = false;

function removePartialsOnInterrupt(): void {
  if (interruptHooked) return;
  interruptHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const f of partialFiles) rmSync(f, { recursive: true, force: true });
      process.kill(process.pid, signal);
    });
  }
}

async function download(tool: ToolName, url: string, sha256: string, member: string | undefined, root: string | undefined): Promise<void> {
  const dir = binDir(root);
  mkdirSync(dir, { recursive: true });
  const partial = path.join(dir, `.download-${tool}-${randomBytes(4).toString('hex')}`);
  partialFiles.add(partial);
  removePartialsOnInterrupt();
  try {
    const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) });
    if (!response.ok) throw new FixableError(`downloading ${tool} failed: ${url} answered ${response.status}`, `check your network, or install ${tool} yourself`);
    if (!response.body) throw new FixableError(`downloading ${tool} failed: ${url} sent no body`, `retry, or install ${tool} yourself`);
    // Streamed to disk while hashed: a 100 MB tool never sits in memory, and Ctrl-C finds the partial file to remove.
    const hash = createHash('sha256');
    const file = createWriteStream(partial);
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      file,
    );
    const actual = hash.digest('hex');
    if (actual !== sha256) {
      throw new ChecksumMismatch(
        `refusing ${tool} from ${url}: its sha256 is ${actual}, the pinned one is ${sha256}; the download was deleted`,
        'a mirror or proxy may have altered it; retry, or install the tool yourself from its official release',
      );
    }
    const target = path.join(dir, tool);
    if (member) {
      const out = mkdtempSync(path.join(dir, `.extract-${tool}-`));
      partialFiles.add(out);
      try {
        // bsdtar (macOS) also reads zip archives; GNU tar on Linux gets only tar.gz here.
        const { execFileSync } = await import('node:child_process');
        execFileSync('tar', ['-xf', partial, '-C', out, member], { stdio: 'pipe' });
        renameSync(path.join(out, member), target);
      } finally {
        rmSync(out, { recursive: true, force: true });
        partialFiles.delete(out);
      }
    } else {
      renameSync(partial, target);
    }
    chmodSync(target, 0o755);
  } finally {
    rmSync(partial, { force: true });
    partialFiles.delete(partial);
  }
}

/** Puts .bin/ first on PATH for child processes (helm plugins, kubectl from Tilt). */
export function preferProjectBin(root?: string): void {
  const dir = binDir(root);
  const parts = (process.env.PATH ?? '').split(path.delimiter);
  if (parts[0] !== dir) process.env.PATH = [dir, ...parts.filter((p) => p !== dir)].join(path.delimiter);
}

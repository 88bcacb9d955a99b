// Finds each CLI the scripts need at its pinned version: on PATH if it is the right version, else
// downloaded from its official release into the repository's .bin/, verified against a pinned sha256.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { repoRoot, version } from '../versions.ts';

export const TOOLS = ['kubectl', 'helm', 'k3d', 'kind', 'k6', 'tilt', 'istioctl'] as const;
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
}

export const CHECKSUMS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'checksums.yaml');

export function currentPlatform(): Platform {
  const os = process.platform === 'darwin' ? 'darwin' : process.platform === 'linux' ? 'linux' : undefined;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : undefined;
  if (!os || !arch) throw new FixableError(`shopmesh downloads tools for linux and darwin on amd64/arm64, not ${process.platform}/${process.arch}`, 'install kubectl, helm, k3d or kind yourself at the versions in versions.yaml');
  return { os, arch };
}

export function pinnedVersion(tool: ToolName): string {
  return version(`tools.${tool}`);
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
export function releaseAsset(tool: ToolName, p: Platform, v: string): Asset {
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
    case 'istioctl': {
      const suffix = p.os === 'darwin' ? (p.arch === 'arm64' ? 'osx-arm64' : 'osx') : `linux-${p.arch}`;
      return { url: `https://github.com/istio/istio/releases/download/${bare}/istioctl-${bare}-${suffix}.tar.gz`, member: 'istioctl' };
    }
  }
}

const VERSION_ARGS: Record<ToolName, string[]> = {
  kubectl: ['version', '--client', '-o', 'json'],
  helm: ['version', '--template', '{{.Version}}'],
  k3d: ['version'],
  kind: ['version'],
  k6: ['version'],
  tilt: ['version'],
  istioctl: ['version', '--remote=false'],
};

function sameVersion(a: string, b: string): boolean {
  return a.replace(/^v/, '') === b.replace(/^v/, '');
}

/** The version a tool executable reports, or undefined when it cannot be run. */
export async function reportedVersion(runner: Runner, tool: ToolName, executable: string): Promise<string | undefined> {
  let result;
  try {
    result = await runner.query(executable, VERSION_ARGS[tool], { timeoutMs: 20_000 });
  } catch {
    return undefined;
  }
  if (result.code !== 0) return undefined;
  if (tool === 'kubectl') {
    try {
      return (JSON.parse(result.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
    } catch {
      return undefined;
    }
  }
  return /v?\d+\.\d+\.\d+/.exec(result.stdout)?.[0];
}

function binDir(root: string): string {
  return path.join(root, '.bin');
}

/**
 * Returns the executable to use for `tool` at its pinned version: .bin/<tool> when it is right, else
 * the one on PATH when it is right, else a fresh verified download into .bin/.
 */
export async function ensureTool(runner: Runner, tool: ToolName, opts: EnsureToolOptions = {}): Promise<string> {
  const root = opts.root ?? repoRoot;
  const wanted = pinnedVersion(tool);
  const local = path.join(binDir(root), tool);
  if (existsSync(local)) {
    const v = await reportedVersion(runner, tool, local);
    if (v && sameVersion(v, wanted)) return local;
  }
  if (!opts.ignorePath) {
    const v = await reportedVersion(runner, tool, tool);
    if (v && sameVersion(v, wanted)) return tool;
  }
  const platform = opts.platform ?? currentPlatform();
  const pins = opts.pins ?? loadPins();
  const pin = pins[tool];
  const key = `${platform.os}/${platform.arch}`;
  if (!pin || !sameVersion(pin.version, wanted)) {
    throw new FixableError(
      `checksums.yaml pins ${tool} ${pin?.version ?? '(nothing)'}, but versions.yaml asks for ${wanted}`,
      `install ${tool} ${wanted} yourself (on PATH), or update scripts/lib/tools/checksums.yaml from its official release`,
    );
  }
  const sha256 = pin.sha256[key];
  if (!sha256) {
    throw new FixableError(
      `no pinned sha256 for ${tool} ${wanted} ${key}`,
      `install ${tool} ${wanted} yourself (so it is on PATH), or add its checksum from the official release to scripts/lib/tools/checksums.yaml`,
    );
  }
  const asset = releaseAsset(tool, platform, wanted);
  const url = opts.downloadUrl?.(tool, platform, wanted) ?? asset.url;
  await runner.api(`download ${url} to .bin/${tool}, verified against sha256 ${sha256}`, () => download(tool, url, sha256, asset.member, root));
  if (!runner.dryRun) {
    const v = await reportedVersion(runner, tool, local);
    if (!v || !sameVersion(v, wanted)) {
      rmSync(local, { force: true });
      throw new FixableError(`the downloaded ${tool} reports ${v ?? 'no version'}, not ${wanted}; it was removed`, `install ${tool} ${wanted} yourself`);
    }
  }
  return local;
}

async function download(tool: ToolName, url: string, sha256: string, member: string | undefined, root: string): Promise<void> {
  const dir = binDir(root);
  mkdirSync(dir, { recursive: true });
  const partial = path.join(dir, `.download-${tool}-${randomBytes(4).toString('hex')}`);
  try {
    const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) });
    if (!response.ok) throw new FixableError(`downloading ${tool} failed: ${url} answered ${response.status}`, `check your network, or install ${tool} yourself`);
    const bytes = Buffer.from(await response.arrayBuffer());
    writeFileSync(partial, bytes);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new FixableError(
        `refusing ${tool} from ${url}: its sha256 is ${actual}, the pinned one is ${sha256}; the download was deleted`,
        'a mirror or proxy may have altered it; retry, or install the tool yourself from its official release',
      );
    }
    const target = path.join(dir, tool);
    if (member) {
      const out = mkdtempSync(path.join(dir, `.extract-${tool}-`));
      try {
        // bsdtar (macOS) also reads zip archives; GNU tar on Linux gets only tar.gz here.
        const { execFileSync } = await import('node:child_process');
        execFileSync('tar', ['-xf', partial, '-C', out, member], { stdio: 'pipe' });
        renameSync(path.join(out, member), target);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    } else {
      renameSync(partial, target);
    }
    chmodSync(target, 0o755);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Puts .bin/ first on PATH for child processes (helm plugins, kubectl from Tilt). */
export function preferProjectBin(root = repoRoot): void {
  const dir = binDir(root);
  const parts = (process.env.PATH ?? '').split(path.delimiter);
  if (parts[0] !== dir) process.env.PATH = [dir, ...parts.filter((p) => p !== dir)].join(path.delimiter);
}

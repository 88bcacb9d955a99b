// The checks `doctor` prints and `up` runs first: Docker daemon, free host ports, memory, inotify
// limits on Linux, tool versions. Each problem carries the exact command or setting that fixes it.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { Runner } from '../plan.ts';
import type { ClusterProvider, ToolPaths } from '../providers/types.ts';
import { currentPlatform, loadPins, pinnedVersion, reportedVersion, type ToolName } from '../tools/index.ts';
import { repoRoot } from '../versions.ts';
import path from 'node:path';
import { existsSync } from 'node:fs';

export interface Check {
  name: string;
  ok: boolean;
  /** An error stops `up`; a warning is printed and `up` goes on. */
  severity: 'error' | 'warning';
  message: string;
  fix?: string;
}

export interface PreflightDeps {
  isPortFree?: (port: number) => Promise<boolean>;
  readSysctl?: (name: string) => string | undefined;
  hostMemoryBytes?: () => number;
  platform?: NodeJS.Platform;
  /** Ports to check instead of the provider's (tests). */
  ports?: number[];
}

const GiB = 1024 ** 3;
export const MIN_MEMORY_BYTES = 4 * GiB;
export const RECOMMENDED_MEMORY_BYTES = 6 * GiB;
export const INOTIFY_MIN = { max_user_watches: 524288, max_user_instances: 512 };

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

interface DockerInfo {
  ServerVersion?: string;
  MemTotal?: number;
  NCPU?: number;
}

export async function dockerInfo(runner: Runner): Promise<{ info?: DockerInfo; error?: string }> {
  let r;
  try {
    r = await runner.query('docker', ['info', '--format', '{{json .}}'], { timeoutMs: 20_000 });
  } catch (err) {
    return { error: (err as Error).message.includes('not found') ? 'the docker command is not installed' : (err as Error).message };
  }
  if (r.code !== 0) return { error: (r.stderr || r.stdout).trim().split('\n').pop() || `docker info exited ${r.code}` };
  try {
    const info = JSON.parse(r.stdout) as DockerInfo;
    if (!info.ServerVersion) return { error: 'docker info did not report a server (is the daemon running?)' };
    return { info };
  } catch {
    return { error: 'docker info gave no JSON' };
  }
}

export async function runPreflight(runner: Runner, provider: ClusterProvider, tools: ToolPaths, deps: PreflightDeps = {}): Promise<Check[]> {
  const checks: Check[] = [];
  const platform = deps.platform ?? process.platform;

  const docker = await dockerInfo(runner);
  checks.push(
    docker.info
      ? { name: 'docker', ok: true, severity: 'error', message: `Docker daemon ${docker.info.ServerVersion} is reachable` }
      : {
          name: 'docker',
          ok: false,
          severity: 'error',
          message: `Docker daemon is not reachable: ${docker.error}`,
          fix:
            platform === 'darwin'
              ? 'start Docker Desktop (or `colima start --memory 6`), then run this again'
              : 'start it: `sudo systemctl start docker`; to use it without sudo: `sudo usermod -aG docker $USER` and log in again',
        },
  );

  const memory = docker.info?.MemTotal ?? (deps.hostMemoryBytes ?? os.totalmem)();
  const where = docker.info?.MemTotal ? 'Docker has' : 'this machine has';
  const gib = (memory / GiB).toFixed(1);
  if (memory < MIN_MEMORY_BYTES) {
    checks.push({ name: 'memory', ok: false, severity: 'error', message: `too little memory: ${where} ${gib} GiB; the sandbox needs at least 4 GiB (6 GiB recommended)`, fix: 'give Docker at least 6 GiB: Docker Desktop → Settings → Resources → Memory (or `colima start --memory 6`), or close other programs' });
  } else if (memory < RECOMMENDED_MEMORY_BYTES) {
    checks.push({ name: 'memory', ok: false, severity: 'warning', message: `${where} ${gib} GiB; 6 GiB is recommended (addons need more)`, fix: 'raise Docker\'s memory to 6 GiB: Docker Desktop → Settings → Resources → Memory' });
  } else {
    checks.push({ name: 'memory', ok: true, severity: 'error', message: `${where} ${gib} GiB` });
  }

  const owned = deps.ports ? [] : await provider.ownedPorts(runner, tools);
  for (const port of deps.ports ?? provider.hostPorts) {
    if (owned.includes(port)) {
      checks.push({ name: `port ${port}`, ok: true, severity: 'error', message: `port ${port} is held by the sandbox itself` });
      continue;
    }
    const free = await (deps.isPortFree ?? isPortFree)(port);
    checks.push(
      free
        ? { name: `port ${port}`, ok: true, severity: 'error', message: `port ${port} is free` }
        : {
            name: `port ${port}`,
            ok: false,
            severity: 'error',
            message: `port ${port} on 127.0.0.1 is busy; the sandbox needs it`,
            fix: platform === 'darwin' ? `see what holds it: \`lsof -nP -iTCP:${port} -sTCP:LISTEN\`, and stop it` : `see what holds it: \`ss -ltnp 'sport = :${port}'\` (or \`lsof -nP -iTCP:${port} -sTCP:LISTEN\`), and stop it`,
          },
    );
  }

  if (platform === 'linux') {
    for (const [name, min] of Object.entries(INOTIFY_MIN)) {
      const value = Number((deps.readSysctl ?? readSysctl)(name));
      if (Number.isFinite(value) && value < min) {
        checks.push({
          name: `inotify ${name}`,
          ok: false,
          severity: 'warning',
          message: `fs.inotify.${name} is ${value}; clusters in Docker and Tilt need ${min}`,
          fix: `sudo sysctl fs.inotify.${name}=${min} && echo 'fs.inotify.${name} = ${min}' | sudo tee -a /etc/sysctl.d/99-shopmesh.conf`,
        });
      } else if (Number.isFinite(value)) {
        checks.push({ name: `inotify ${name}`, ok: true, severity: 'warning', message: `fs.inotify.${name} is ${value}` });
      }
    }
  }

  const needed: ToolName[] = ['kubectl', 'helm', ...provider.tools];
  let pins: ReturnType<typeof loadPins> = {};
  try {
    pins = loadPins();
  } catch {
    pins = {};
  }
  let key: string | undefined;
  try {
    const p = currentPlatform();
    key = `${p.os}/${p.arch}`;
  } catch {
    key = undefined;
  }
  for (const tool of needed) {
    const wanted = pinnedVersion(tool);
    const local = path.join(repoRoot, '.bin', tool);
    const localVersion = existsSync(local) ? await reportedVersion(runner, tool, local) : undefined;
    const pathVersion = await reportedVersion(runner, tool, tool);
    const same = (v?: string) => v?.replace(/^v/, '') === wanted.replace(/^v/, '');
    if (same(localVersion) || same(pathVersion)) {
      checks.push({ name: tool, ok: true, severity: 'warning', message: `${tool} ${wanted} ${same(localVersion) ? 'in .bin/' : 'on PATH'}` });
    } else if (key && pins[tool]?.sha256[key]) {
      checks.push({ name: tool, ok: true, severity: 'warning', message: `${tool} ${pathVersion ? `on PATH is ${pathVersion}` : 'is not on PATH'}; up downloads ${wanted} into .bin/ (sha256-pinned)` });
    } else {
      checks.push({
        name: tool,
        ok: false,
        severity: 'error',
        message: `${tool} ${wanted} is needed and there is no pinned sha256 to download it for ${key ?? `${process.platform}/${process.arch}`}`,
        fix: `install ${tool} ${wanted} yourself so it is on PATH, or add its checksum to scripts/lib/tools/checksums.yaml`,
      });
    }
  }
  return checks;
}

export function failures(checks: Check[]): Check[] {
  return checks.filter((c) => !c.ok && c.severity === 'error');
}

export function formatChecks(checks: Check[]): string {
  return checks.map((c) => `${c.ok ? '✓' : c.severity === 'error' ? '✗' : '!'} ${c.message}${!c.ok && c.fix ? `\n    fix: ${c.fix}` : ''}`).join('\n');
}

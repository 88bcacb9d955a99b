// The checks `doctor` prints and `up` runs first: Docker daemon and BuildKit, microk8s where it is the
// provider, free host ports, memory, inotify limits on Linux, tool versions. Each problem carries the
// exact command or setting that fixes it.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { Runner } from '../plan.ts';
import type { ClusterProvider, ToolPaths } from '../providers/types.ts';
import { findGo, GO_TOOLS } from '../tools/gobuild.ts';
import { binDir, currentPlatform, loadPins, pinnedVersion, releaseAsset, reportedVersion, type ToolName } from '../tools/index.ts';
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

/** BuildKit (the buildx plugin): the Dockerfile's `RUN --mount` needs it. */
export async function buildxVersion(runner: Runner): Promise<string | undefined> {
  const r = await runner.query('docker', ['buildx', 'version'], { timeoutMs: 20_000 }).catch(() => undefined);
  if (!r || r.code !== 0) return undefined;
  return /v\d+\.\d+\.\d+\S*/.exec(r.stdout)?.[0] ?? r.stdout.trim().split('\n')[0];
}

export async function runPreflight(runner: Runner, provider: ClusterProvider, tools: ToolPaths, deps: PreflightDeps = {}): Promise<Check[]> {
  const checks: Check[] = [];
  const platform = deps.platform ?? process.platform;
  // On microk8s the cluster runs on the host; Docker only builds the images.
  const dockerRole = provider.name === 'microk8s' ? 'to build the images' : 'for the cluster and to build the images';

  if (provider.name === 'microk8s') {
    const status = await runner.query('microk8s', ['status', '--format', 'yaml'], { timeoutMs: 60_000 }).catch(() => undefined);
    checks.push(
      status && status.code !== 127
        ? { name: 'microk8s', ok: true, severity: 'error', message: `microk8s is installed (${status.code === 0 ? 'running' : 'not running: up starts it'}); images go to its registry addon at localhost:32000` }
        : { name: 'microk8s', ok: false, severity: 'error', message: 'microk8s is not installed; the microk8s provider runs the sandbox on it', fix: 'sudo snap install microk8s --classic --channel=1.35/stable && sudo usermod -a -G microk8s $USER (then log in again), or use the default provider: npm run up' },
    );
  }

  const docker = await dockerInfo(runner);
  checks.push(
    docker.info
      ? { name: 'docker', ok: true, severity: 'error', message: `Docker daemon ${docker.info.ServerVersion} is reachable (needed ${dockerRole})` }
      : {
          name: 'docker',
          ok: false,
          severity: 'error',
          message: `Docker daemon is not reachable (needed ${dockerRole}): ${docker.error}`,
          fix:
            platform === 'darwin'
              ? 'start Docker Desktop (or `colima start --memory 6`), then run this again'
              : 'start it: `sudo systemctl start docker`; to use it without sudo: `sudo usermod -aG docker $USER` and log in again',
        },
  );
  if (docker.info) {
    const buildx = await buildxVersion(runner);
    checks.push(
      buildx
        ? { name: 'buildkit', ok: true, severity: 'error', message: `BuildKit (docker buildx ${buildx}) builds the images` }
        : {
            name: 'buildkit',
            ok: false,
            severity: 'error',
            message: 'docker buildx is missing: the Dockerfile uses `RUN --mount`, which only BuildKit builds',
            fix: platform === 'darwin' ? 'update Docker Desktop (it ships buildx), or `brew install docker-buildx` for Colima' : "install the buildx plugin: `sudo apt-get install docker-buildx-plugin` (Docker's apt repository) or `sudo apt-get install docker-buildx` (Debian/Ubuntu's)",
          },
    );
  }

  const onHost = provider.name === 'microk8s' || !docker.info?.MemTotal;
  const memory = onHost ? (deps.hostMemoryBytes ?? os.totalmem)() : docker.info!.MemTotal!;
  const where = onHost ? 'this machine has' : 'Docker has';
  const gib = (memory / GiB).toFixed(1);
  if (memory < MIN_MEMORY_BYTES) {
    checks.push({ name: 'memory', ok: false, severity: 'error', message: `too little memory: ${where} ${gib} GiB; the sandbox needs at least 4 GiB (6 GiB recommended)`, fix: 'give Docker at least 6 GiB: Docker Desktop → Settings → Resources → Memory (or `colima start --memory 6`), or close other programs' });
  } else if (memory < RECOMMENDED_MEMORY_BYTES) {
    checks.push({ name: 'memory', ok: false, severity: 'warning', message: `${where} ${gib} GiB; 6 GiB is recommended (addons need more)`, fix: 'raise Docker\'s memory to 6 GiB: Docker Desktop → Settings → Resources → Memory' });
  } else {
    checks.push({ name: 'memory', ok: true, severity: 'error', message: `${where} ${gib} GiB` });
  }

  // Without Docker nothing can be owned; the docker check above already says why.
  const owned = deps.ports ? [] : docker.info || provider.name === 'microk8s' ? await provider.ownedPorts(runner, tools).catch(() => []) : [];
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
          // Every node's kubelet and containerd, and Tilt's and tsx's file watchers, share this kernel's limit.
          message: `fs.inotify.${name} is ${value}; the cluster's kubelet and containerd${provider.name === 'microk8s' ? '' : ' (inside the node containers, which share this kernel)'} and the file watchers of Tilt and live reload need ${min}`,
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
  const go = await findGo(runner);
  for (const tool of needed) {
    const wanted = pinnedVersion(tool);
    const local = path.join(binDir(), tool);
    const localVersion = existsSync(local) ? await reportedVersion(runner, tool, local) : undefined;
    const pathVersion = await reportedVersion(runner, tool, tool);
    const same = (v?: string) => v?.replace(/^v/, '') === wanted.replace(/^v/, '');
    if (same(localVersion) || same(pathVersion)) {
      checks.push({ name: tool, ok: true, severity: 'warning', message: `${tool} ${wanted} ${same(localVersion) ? 'in .bin/' : 'on PATH'}` });
    } else if (key && pins[tool]?.sha256[key]) {
      checks.push({ name: tool, ok: true, severity: 'warning', message: `${tool} ${pathVersion ? `on PATH is ${pathVersion}` : 'is not on PATH'}; up downloads ${wanted} into .bin/ (sha256-pinned)` });
    } else if (go && GO_TOOLS.some((t) => t.name === tool)) {
      checks.push({ name: tool, ok: true, severity: 'warning', message: `${tool} ${wanted}: no pinned download for ${key}; up builds it from its Go module with ${go.goVersion} (a few minutes, once)` });
    } else {
      checks.push({
        name: tool,
        ok: false,
        severity: 'error',
        message: `${tool} ${wanted} is needed and there is no pinned sha256 to download it for ${key ?? `${process.platform}/${process.arch}`}${key && !releaseAsset(tool, currentPlatform(), wanted) ? ' (it has no release download)' : ''}, nor Go >= 1.26 to build it`,
        fix: `install ${tool} ${wanted} yourself so it is on PATH, or install Go 1.26+ and run \`npm run tools\``,
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

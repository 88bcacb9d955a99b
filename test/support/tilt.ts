// Test support: the pinned Tilt evaluates a Tiltfile with no cluster (`tilt alpha tiltfile-result`,
// which prints Tilt's load result as JSON). Its kube contexts point at a dead loopback port, HOME
// and TILT_DEV_DIR are throwaway folders, analytics are off, and Docker is a socket that does not
// exist, so nothing leaves the machine. `readTiltResult` reads the few fields the tests assert.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { binDir } from '../../scripts/lib/tools/index.ts';

export const TILT_BIN = path.join(binDir(), 'tilt');
const KUBECTL_BIN = path.join(binDir(), 'kubectl');

/** Tilt's exit code for an error in the Tiltfile itself (syntax, fail(), a refused builtin call). */
export const TILTFILE_ERROR_EXIT = 5;

/** Contexts the evaluation kubeconfig offers; all lead to 127.0.0.1:1, where nothing listens. */
export const KUBE_CONTEXTS = ['k3d-shopmesh', 'kind-shopmesh', 'microk8s', 'docker-desktop', 'gke_shop_prod'] as const;

export interface TiltEval {
  code: number;
  stdout: string;
  /** Tilt's log of the evaluation (it runs with -v), then the error on failure. */
  stderr: string;
}

export interface EvalOptions {
  /** The kube context Tilt sees (one of KUBE_CONTEXTS). */
  context?: string;
  /** Tiltfile arguments, as after `tilt up --` (for example `--scenario=canary`). */
  args?: string[];
}

function kubeconfig(context: string): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'dead', cluster: { server: 'https://127.0.0.1:1' } }],
    users: [{ name: 'nobody', user: { token: 'none' } }],
    contexts: KUBE_CONTEXTS.map((name) => ({ name, context: { cluster: 'dead', user: 'nobody' } })),
    'current-context': context,
  });
}

/** Runs the real Tilt's Tiltfile evaluation in `root` (the folder holding the Tiltfile). */
export function evalTiltfile(root: string, { context = 'k3d-shopmesh', args = [] }: EvalOptions = {}): Promise<TiltEval> {
  for (const bin of [TILT_BIN, KUBECTL_BIN]) if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run tools\` first`);
  const home = mkdtempSync(path.join(tmpdir(), 'shopmesh-tilt-home-'));
  writeFileSync(path.join(home, 'kubeconfig'), kubeconfig(context));
  const env: NodeJS.ProcessEnv = {
    // Only the pinned tools and this node: kustomize() then runs the pinned `kubectl kustomize`
    // (not a kustomize the machine may have), and node runs the Tiltfile's inventory script.
    PATH: [path.dirname(TILT_BIN), path.dirname(process.execPath)].join(path.delimiter),
    HOME: home,
    TILT_DEV_DIR: path.join(home, '.tilt-dev'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    KUBECONFIG: path.join(home, 'kubeconfig'),
    DOCKER_HOST: `unix://${path.join(home, 'no-docker.sock')}`,
    TILT_DISABLE_ANALYTICS: '1',
    NO_COLOR: '1',
  };
  const argv = ['alpha', 'tiltfile-result', '-v', '--file', path.join(root, 'Tiltfile'), '--', ...args];
  return new Promise((resolve) => {
    execFile(TILT_BIN, argv, { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      rmSync(home, { recursive: true, force: true });
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs evaluations at most `limit` at a time (two cores are shared with the rest of the suite). */
export async function evalAll<T>(jobs: (() => Promise<T>)[], limit = 2): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

// ------------------------------------------------------------------ Tilt's result, the parts we read

export type KubeObject = Record<string, any> & { kind: string; apiVersion: string; metadata: { name: string; namespace?: string } };

export interface ImageBuild {
  ref: string;
  /** Relative to the Tiltfile's folder ('.' for the folder itself). */
  context: string;
  dockerfileContents: string;
  target: string;
  args: Record<string, string>;
  /** The `only` paths, from the `**` + `!path` ignore patterns Tilt makes of them. */
  only: string[];
  /** fall_back_on paths, relative. */
  stopPaths: string[];
  syncs: { localPath: string; containerPath: string }[];
}

export interface K8sResource {
  name: string;
  labels: string[];
  resourceDeps: string[];
  forwards: { localPort: number; containerPort: number; name: string }[];
  objects: KubeObject[];
  images: string[];
}

export interface LocalResource {
  name: string;
  labels: string[];
  resourceDeps: string[];
  cmd: string[];
  /** Tilt's trigger mode: manual, and not run at startup, for a button. */
  manual: boolean;
  autoInit: boolean;
}

export interface TiltRun {
  images: ImageBuild[];
  k8s: K8sResource[];
  local: LocalResource[];
  /** Every object deployed, from all resources. */
  objects: KubeObject[];
  /** Files whose change reloads the Tiltfile, relative to its folder. */
  configFiles: string[];
}

// model.TriggerMode in Tilt (pkg/model/trigger_mode.go): the order of its iota constants.
const TRIGGER_MODES = ['auto', 'manual-with-auto-init', 'manual', 'auto-with-manual-init'] as const;

/** Reads `tilt alpha tiltfile-result`'s JSON for the Tiltfile in `root`. */
export function readTiltResult(stdout: string, root: string): TiltRun {
  const raw = JSON.parse(stdout) as { Error: unknown; Manifests: any[]; ConfigFiles: string[] | null };
  if (raw.Error) throw new Error(`Tilt reported an error: ${JSON.stringify(raw.Error)}`);
  const rel = (p: string): string => path.relative(root, p) || '.';
  const images = new Map<string, ImageBuild>();
  const k8s: K8sResource[] = [];
  const local: LocalResource[] = [];
  for (const m of raw.Manifests) {
    const labels = Object.keys(m.Labels ?? {}).sort();
    const resourceDeps: string[] = m.ResourceDependencies ?? [];
    for (const it of m.ImageTargets ?? []) {
      const b = it.BuildDetails;
      // The image's name as docker_build was given it is the ImageMap's selector.
      const ref: string = it.selector;
      if (images.has(ref)) continue;
      const onlyIgnore = (b.contextIgnores ?? []).find((i: any) => i.patterns?.[0] === '**');
      images.set(ref, {
        ref,
        context: rel(b.context),
        dockerfileContents: b.dockerfileContents,
        target: b.target ?? '',
        args: Object.fromEntries((b.args ?? []).map((a: string) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)])),
        only: (onlyIgnore?.patterns ?? []).slice(1).map((p: string) => p.replace(/^!/, '')),
        stopPaths: (it.LiveUpdateSpec?.stopPaths ?? []).map((p: string) => path.relative(root, path.resolve(it.LiveUpdateSpec.basePath, p))),
        syncs: (it.LiveUpdateSpec?.syncs ?? []).map((s: any) => ({ localPath: path.relative(root, path.resolve(it.LiveUpdateSpec.basePath, s.localPath)), containerPath: s.containerPath })),
      });
    }
    const deploy = m.DeployTarget ?? {};
    if (typeof deploy.yaml === 'string') {
      k8s.push({
        name: m.Name,
        labels,
        resourceDeps,
        forwards: (deploy.portForwardTemplateSpec?.forwards ?? []).map((f: any) => ({ localPort: f.localPort, containerPort: f.containerPort, name: f.name ?? '' })),
        objects: YAML.parseAllDocuments(deploy.yaml).map((d) => d.toJS() as KubeObject).filter(Boolean),
        images: (m.ImageTargets ?? []).map((it: any) => it.selector),
      });
    } else if (deploy.UpdateCmdSpec !== undefined) {
      const mode = TRIGGER_MODES[m.TriggerMode as number] ?? 'auto';
      local.push({
        name: m.Name,
        labels,
        resourceDeps,
        cmd: deploy.UpdateCmdSpec?.args ?? [],
        manual: mode.startsWith('manual'),
        autoInit: mode === 'auto' || mode === 'manual-with-auto-init',
      });
    }
  }
  return {
    images: [...images.values()],
    k8s,
    local,
    objects: k8s.flatMap((r) => r.objects),
    configFiles: (raw.ConfigFiles ?? []).map(rel),
  };
}

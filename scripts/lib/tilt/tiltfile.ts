// Runs the Tiltfile in the small Starlark interpreter with Tilt's builtins stubbed: each stub checks
// its arguments against Tilt's signatures (and the rules Tilt enforces when it loads a Tiltfile) and
// records the call, so tests can assert what `tilt up` would build, deploy and show.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { Builtin, HostValue, Interpreter, Module, StarlarkError, fromJS, toJS, type Value } from './starlark.ts';

export interface TiltfileEnv {
  /** The Tiltfile's folder: relative paths in it resolve here. */
  root: string;
  tiltfile?: string;
  /** What `k8s_context()` answers. */
  context: string;
  /** `tilt up -- --name=value` settings. */
  args?: Record<string, string>;
  /** Renders a kustomization folder (absolute path) to YAML. */
  kustomize(dir: string): string;
  /** Runs a command for `local()` and returns its stdout. */
  local(argv: string[], cwd: string): string;
}

export interface LiveUpdateStep {
  $type: 'fall_back_on' | 'sync' | 'run' | 'initial_sync';
  files?: string[];
  local_path?: string;
  remote_path?: string;
}

export interface DockerBuild {
  ref: string;
  context: string;
  dockerfile: string;
  target: string;
  build_args: Record<string, string>;
  only: string[];
  ignore: string[];
  live_update: LiveUpdateStep[];
}

export interface PortForwardSpec {
  $type: 'port_forward';
  local_port: number;
  container_port?: number;
  name?: string;
}

export interface K8sResourceCall {
  workload?: string;
  new_name?: string;
  objects?: string[];
  labels?: string[];
  port_forwards?: PortForwardSpec[];
  resource_deps?: string[];
  auto_init?: boolean;
}

export interface LocalResourceCall {
  name: string;
  cmd: string | string[];
  auto_init?: boolean;
  trigger_mode?: { $type: 'trigger_mode'; mode: string };
  labels?: string[];
  resource_deps?: string[];
}

export type KubeObject = Record<string, unknown> & { kind: string; apiVersion: string; metadata: { name: string; namespace?: string } };

export interface TiltRun {
  allowedContexts: string[];
  definedSettings: string[];
  kustomizeDirs: string[];
  objects: KubeObject[];
  dockerBuilds: DockerBuild[];
  k8sResources: K8sResourceCall[];
  localResources: LocalResourceCall[];
  localCommands: string[][];
  readFiles: string[];
  updateSettings: Record<string, unknown>;
}

const LABEL = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A builtin with Tilt's parameter names: positional arguments map onto them, unknown keywords fail. */
function builtin(name: string, params: readonly string[], impl: (a: Map<string, Value>) => Value): Builtin {
  return new Builtin(name, (args, kwargs) => {
    if (args.length > params.length) throw new StarlarkError(`${name}() takes at most ${params.length} positional arguments`);
    const bound = new Map<string, Value>();
    args.forEach((v, i) => bound.set(params[i]!, v));
    for (const [k, v] of kwargs) {
      if (!params.includes(k)) throw new StarlarkError(`${name}() has no parameter ${k}`);
      if (bound.has(k)) throw new StarlarkError(`${name}() got ${k} twice`);
      bound.set(k, v);
    }
    return impl(bound);
  });
}

function text(v: Value | undefined, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof HostValue && v.type === 'blob') return String(v.data.text);
  throw new StarlarkError(`${what} must be a string or Blob`);
}

function strings(v: Value | undefined, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new StarlarkError(`${what} must be a string or a list of strings`);
}

function blob(s: string): HostValue {
  return new HostValue('blob', { text: s });
}

export function runTiltfile(env: TiltfileEnv): TiltRun {
  const run: TiltRun = {
    allowedContexts: [],
    definedSettings: [],
    kustomizeDirs: [],
    objects: [],
    dockerBuilds: [],
    k8sResources: [],
    localResources: [],
    localCommands: [],
    readFiles: [],
    updateSettings: {},
  };
  const resolve = (p: string): string => path.resolve(env.root, p);
  const args = env.args ?? {};
  let parsed = false;

  const config = new Module(
    'config',
    new Map<string, Value>([
      ['define_string', builtin('config.define_string', ['name', 'args', 'usage'], (a) => {
        if (parsed) throw new StarlarkError('define settings before config.parse()');
        run.definedSettings.push(text(a.get('name'), 'name'));
        return null;
      })],
      ['parse', builtin('config.parse', [], () => {
        parsed = true;
        for (const k of Object.keys(args)) if (!run.definedSettings.includes(k)) throw new StarlarkError(`unknown setting --${k}`);
        return new Map<Value, Value>(Object.entries(args));
      })],
      ['main_dir', env.root],
      ['tilt_subcommand', 'up'],
    ]),
  );

  const os = new Module(
    'os',
    new Map<string, Value>([
      ['getcwd', builtin('os.getcwd', [], () => env.root)],
      ['path', new Module('os.path', new Map<string, Value>([
        ['exists', builtin('os.path.exists', ['path'], (a) => existsSync(resolve(text(a.get('path'), 'path'))))],
        ['join', new Builtin('os.path.join', (parts) => path.join(...parts.map((p) => text(p, 'path'))))],
        ['basename', builtin('os.path.basename', ['path'], (a) => path.basename(text(a.get('path'), 'path')))],
        ['dirname', builtin('os.path.dirname', ['path'], (a) => path.dirname(text(a.get('path'), 'path')))],
      ]))],
    ]),
  );

  const liveUpdateStep = (type: string, data: Record<string, unknown>): HostValue => new HostValue(type, data);
  const checkLabels = (labels: string[]): string[] => {
    for (const l of labels) if (!LABEL.test(l)) throw new StarlarkError(`invalid label "${l}"`);
    return labels;
  };

  const predeclared: Record<string, Value> = {
    config,
    os,
    TRIGGER_MODE_AUTO: new HostValue('trigger_mode', { mode: 'auto' }),
    TRIGGER_MODE_MANUAL: new HostValue('trigger_mode', { mode: 'manual' }),
    allow_k8s_contexts: builtin('allow_k8s_contexts', ['contexts'], (a) => {
      run.allowedContexts.push(...strings(a.get('contexts'), 'contexts'));
      return null;
    }),
    k8s_context: builtin('k8s_context', [], () => env.context),
    local: builtin('local', ['command', 'quiet', 'command_bat', 'echo_off', 'env', 'dir', 'stdin'], (a) => {
      const command = a.get('command');
      const argv = typeof command === 'string' ? ['sh', '-c', command] : strings(command, 'command');
      run.localCommands.push(argv);
      return blob(env.local(argv, a.has('dir') ? resolve(text(a.get('dir'), 'dir')) : env.root));
    }),
    decode_json: builtin('decode_json', ['json'], (a) => fromJS(JSON.parse(text(a.get('json'), 'json')))),
    read_yaml: builtin('read_yaml', ['path', 'default'], (a) => {
      const p = text(a.get('path'), 'path');
      run.readFiles.push(p);
      if (!existsSync(resolve(p)) && a.has('default')) return a.get('default')!;
      return fromJS(YAML.parse(readFileSync(resolve(p), 'utf8')));
    }),
    kustomize: builtin('kustomize', ['pathToDir', 'kustomize_bin', 'flags'], (a) => {
      const dir = text(a.get('pathToDir'), 'pathToDir');
      if (!existsSync(path.join(resolve(dir), 'kustomization.yaml'))) throw new StarlarkError(`kustomize: ${dir} has no kustomization.yaml`);
      run.kustomizeDirs.push(dir);
      return blob(env.kustomize(resolve(dir)));
    }),
    decode_yaml_stream: builtin('decode_yaml_stream', ['yaml'], (a) =>
      YAML.parseAllDocuments(text(a.get('yaml'), 'yaml'))
        .map((d) => d.toJS() as unknown)
        .filter((o) => o !== null)
        .map(fromJS),
    ),
    encode_yaml_stream: builtin('encode_yaml_stream', ['objs'], (a) => {
      const objs = a.get('objs');
      if (!Array.isArray(objs)) throw new StarlarkError('objs must be a list');
      return blob(objs.map((o) => YAML.stringify(toJS(o))).join('---\n'));
    }),
    k8s_yaml: builtin('k8s_yaml', ['yaml', 'allow_duplicates'], (a) => {
      const y = a.get('yaml');
      const docs = y instanceof HostValue ? [text(y, 'yaml')] : strings(y, 'yaml').map((p) => readFileSync(resolve(p), 'utf8'));
      for (const d of docs) {
        for (const o of YAML.parseAllDocuments(d).map((x) => x.toJS() as KubeObject | null)) {
          if (!o) continue;
          if (!o.kind || !o.apiVersion || !o.metadata?.name) throw new StarlarkError('k8s_yaml: an object without kind, apiVersion or metadata.name');
          run.objects.push(o);
        }
      }
      return null;
    }),
    fall_back_on: builtin('fall_back_on', ['files'], (a) => liveUpdateStep('fall_back_on', { files: strings(a.get('files'), 'files') })),
    sync: builtin('sync', ['local_path', 'remote_path'], (a) => {
      const remote = text(a.get('remote_path'), 'remote_path');
      if (!remote.startsWith('/')) throw new StarlarkError(`sync: remote path ${remote} must be absolute`);
      return liveUpdateStep('sync', { local_path: text(a.get('local_path'), 'local_path'), remote_path: remote });
    }),
    run: builtin('run', ['cmd', 'trigger', 'echo_off'], (a) => liveUpdateStep('run', { cmd: toJS(a.get('cmd') ?? null) })),
    initial_sync: builtin('initial_sync', [], () => liveUpdateStep('initial_sync', {})),
    port_forward: builtin('port_forward', ['local_port', 'container_port', 'name', 'link_path', 'host'], (a) => {
      const local = a.get('local_port');
      if (typeof local !== 'number' || local < 1 || local > 65535) throw new StarlarkError('port_forward: local_port must be a port number');
      return new HostValue('port_forward', Object.fromEntries([...a].map(([k, v]) => [k, toJS(v)])));
    }),
    docker_build: builtin(
      'docker_build',
      ['ref', 'context', 'build_args', 'dockerfile', 'dockerfile_contents', 'live_update', 'match_in_env_vars', 'ignore', 'only', 'entrypoint', 'target', 'ssh', 'network', 'secret', 'extra_tag', 'container_args', 'cache_from', 'pull', 'platform', 'extra_hosts'],
      (a) => {
        const ref = text(a.get('ref'), 'ref');
        if (run.dockerBuilds.some((b) => b.ref === ref)) throw new StarlarkError(`docker_build: image ${ref} is built twice`);
        const steps = (a.get('live_update') ?? []) as Value[];
        if (!Array.isArray(steps) || !steps.every((s) => s instanceof HostValue)) throw new StarlarkError('live_update must be a list of steps');
        const kinds = steps.map((s) => (s as HostValue).type);
        const firstOther = kinds.findIndex((k) => k !== 'fall_back_on' && k !== 'initial_sync');
        if (firstOther >= 0 && kinds.slice(firstOther).some((k) => k === 'fall_back_on')) throw new StarlarkError('fall_back_on steps must come first in live_update');
        const lastSync = kinds.lastIndexOf('sync');
        if (kinds.slice(0, lastSync).includes('run')) throw new StarlarkError('sync steps must come before run steps');
        const buildArgs = a.get('build_args') ?? new Map();
        if (!(buildArgs instanceof Map) || ![...buildArgs.values()].every((v) => typeof v === 'string')) throw new StarlarkError('build_args must map names to strings');
        run.dockerBuilds.push({
          ref,
          context: text(a.get('context'), 'context'),
          dockerfile: a.has('dockerfile') ? text(a.get('dockerfile'), 'dockerfile') : 'Dockerfile',
          target: a.has('target') ? text(a.get('target'), 'target') : '',
          build_args: toJS(buildArgs) as Record<string, string>,
          only: strings(a.get('only'), 'only'),
          ignore: strings(a.get('ignore'), 'ignore'),
          live_update: steps.map((s) => toJS(s) as LiveUpdateStep),
        });
        return null;
      },
    ),
    k8s_resource: builtin(
      'k8s_resource',
      ['workload', 'new_name', 'port_forwards', 'extra_pod_selectors', 'trigger_mode', 'resource_deps', 'objects', 'auto_init', 'pod_readiness', 'links', 'labels', 'discovery_strategy'],
      (a) => {
        if (!a.has('workload') && !(a.has('new_name') && a.has('objects'))) throw new StarlarkError('k8s_resource needs a workload, or new_name with objects');
        checkLabels(strings(a.get('labels'), 'labels'));
        const pf = a.get('port_forwards');
        if (pf !== undefined && !(Array.isArray(pf) && pf.every((p) => p instanceof HostValue && p.type === 'port_forward'))) throw new StarlarkError('port_forwards must be port_forward() values here');
        run.k8sResources.push(Object.fromEntries([...a].map(([k, v]) => [k, toJS(v)])) as K8sResourceCall);
        return null;
      },
    ),
    local_resource: builtin(
      'local_resource',
      ['name', 'cmd', 'deps', 'trigger_mode', 'resource_deps', 'ignore', 'auto_init', 'serve_cmd', 'cmd_bat', 'serve_cmd_bat', 'allow_parallel', 'links', 'labels', 'env', 'serve_env', 'readiness_probe', 'dir', 'serve_dir'],
      (a) => {
        const name = text(a.get('name'), 'name');
        if (run.localResources.some((r) => r.name === name)) throw new StarlarkError(`local_resource ${name} defined twice`);
        checkLabels(strings(a.get('labels'), 'labels'));
        run.localResources.push(Object.fromEntries([...a].map(([k, v]) => [k, toJS(v)])) as unknown as LocalResourceCall);
        return null;
      },
    ),
    update_settings: builtin('update_settings', ['max_parallel_updates', 'k8s_upsert_timeout_secs', 'suppress_unused_image_warnings'], (a) => {
      Object.assign(run.updateSettings, Object.fromEntries([...a].map(([k, v]) => [k, toJS(v)])));
      return null;
    }),
  };

  const source = readFileSync(env.tiltfile ?? path.join(env.root, 'Tiltfile'), 'utf8');
  new Interpreter(predeclared).run(source);
  return run;
}

/** Names Tilt gives workload resources: the object's name (the shop has no clashes). */
export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'ReplicaSet']);

// Test support: stub docker, k3d, kind, helm, kubectl and microk8s executables that record every call
// and keep a little state (clusters, registries, containers, releases, CRDs) in a temp dir, so the
// whole up/down flow runs here without Docker. Not used by the scripts themselves.
// Before it answers, a stub for a tool that `npm run tools` provides (helm, kubectl, kind, k3d) has the
// real tool judge the same command line against dead endpoints (real-cli.ts): a command the real
// tool would refuse fails the call, and so the test. The stubs only model state and answers.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedVersion, type ToolName } from '../../scripts/lib/tools/index.ts';
import { repoRoot } from '../../scripts/lib/versions.ts';

const REAL_CLI_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'real-cli.ts');

export const STUBBED = ['docker', 'k3d', 'kind', 'helm', 'kubectl', 'microk8s'] as const;

export interface StubCall {
  tool: string;
  args: string[];
  stdin?: string;
}

export interface StubState {
  k3dClusters?: Array<{ name: string; serversCount: number; serversRunning: number }>;
  k3dRegistries?: Array<{ name: string }>;
  k3dConfig?: string;
  kindClusters?: string[];
  kindConfig?: string;
  containers?: Record<string, { running: boolean; networks: string[] }>;
  files?: Record<string, string>;
  releases?: Array<{ name: string; namespace: string; status: string; chart: string; values: Record<string, unknown>; labels?: Record<string, string> }>;
  /** CRD name → its Gateway API bundle version. */
  crds?: Record<string, string>;
  /** CRDs labelled as shopmesh's. */
  ownedCrds?: string[];
  /** The data of up's record, ConfigMap kube-public/shopmesh-sandbox, when it exists. */
  sandboxRecord?: Record<string, string>;
  /** Namespaces that exist, with their labels (for microk8s, the user's own cluster). */
  namespaces?: Record<string, Record<string, string>>;
  deployments?: string[];
  microk8s?: { running: boolean; addons: string[] };
  dockerDown?: boolean;
  /** The sandbox's API server does not answer (a half-created cluster). */
  apiUnhealthy?: boolean;
  /** Docker without the buildx plugin (no BuildKit). */
  noBuildx?: boolean;
  memTotal?: number;
}

const SCRIPT = String.raw`
import fs from 'node:fs';
import path from 'node:path';
const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const dir = process.env.STUB_STATE;
const v = JSON.parse(process.env.STUB_VERSIONS || '{}');
const statePath = path.join(dir, 'state.json');
const state = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : {};
for (const [k, d] of Object.entries({ k3dClusters: [], k3dRegistries: [], kindClusters: [], containers: {}, files: {}, releases: [], crds: {}, ownedCrds: [], namespaces: {}, deployments: [] })) state[k] ??= d;
const wantsStdin = (tool === 'kind' && args.includes('-')) || (tool === 'docker' && args[0] === 'exec' && args[1] === '-i') || (tool === 'kubectl' && args.includes('-'));
const stdin = wantsStdin ? fs.readFileSync(0, 'utf8') : undefined;
fs.appendFileSync(path.join(dir, 'calls.log'), JSON.stringify({ tool, args, ...(stdin !== undefined ? { stdin } : {}) }) + '\n');
const out = (s) => process.stdout.write(s);
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
const fail = (msg, code = 1) => { process.stderr.write(msg + '\n'); process.exit(code); };
if (process.env.STUB_REAL_CLI && ['helm', 'kubectl', 'kind', 'k3d'].includes(tool)) {
  const { judgeWithRealTool } = await import(process.env.STUB_REAL_CLI);
  const verdict = judgeWithRealTool(process.env.STUB_REAL_BIN, tool, args, { stdin, workDir: path.join(dir, 'real-cli'), cwd: process.cwd() });
  if (!verdict.accepted) {
    fs.appendFileSync(path.join(dir, 'refused.log'), JSON.stringify({ tool, args, reason: verdict.reason }) + '\n');
    fail('refused by the real ' + tool + ': ' + verdict.reason, 2);
  }
}
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const has = (...words) => words.every((w) => args.includes(w));

switch (tool) {
  case 'docker': {
    if (args[0] === 'info') { if (state.dockerDown) fail('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'); out(JSON.stringify({ ServerVersion: '29.0.0', MemTotal: state.memTotal ?? 8 * 1024 ** 3, NCPU: 4 })); break; }
    if (args[0] === 'version') { if (state.dockerDown) fail('Cannot connect to the Docker daemon'); out('29.0.0'); break; }
    if (state.dockerDown) fail('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
    if (args[0] === 'buildx' && args[1] === 'version') { if (state.noBuildx) fail("docker: 'buildx' is not a docker command.\nSee 'docker --help'"); out('github.com/docker/buildx v0.30.1 2c6bc4ae0\n'); break; }
    if (args[0] === 'inspect') { const c = state.containers[args.at(-1)]; if (!c) fail('Error: No such object: ' + args.at(-1)); const f = opt('-f'); out(f.includes('Networks.kind') ? (c.networks.includes('kind') ? '{"NetworkID":"n1"}' : 'null') : String(c.running)); break; }
    if (args[0] === 'run') { state.containers[opt('--name')] = { running: true, networks: [opt('--network') ?? 'bridge'] }; out('c0ffee\n'); save(); break; }
    if (args[0] === 'start') { state.containers[args[1]].running = true; save(); break; }
    if (args[0] === 'rm') { delete state.containers[args.at(-1)]; save(); break; }
    if (args[0] === 'network' && args[1] === 'connect') { state.containers[args[3]].networks.push(args[2]); save(); break; }
    if (args[0] === 'exec') {
      const rest = args[1] === '-i' ? args.slice(2) : args.slice(1);
      const [node, cmd, ...cargs] = rest;
      if (cmd === 'cat') { const f = state.files[node + ':' + cargs[0]]; if (f === undefined) fail('no such file'); out(f); break; }
      if (cmd === 'cp') { state.files[node + ':' + cargs[1]] = stdin; save(); break; }
      break;
    }
    break;
  }
  case 'k3d': {
    if (args[0] === 'version') { out('k3d version ' + v.k3d + '\nk3s version v1.35.5-k3s1 (default)\n'); break; }
    if (state.dockerDown) fail('FATA[0000] runtime failed to list nodes: docker failed to get containers with labels: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
    if (args[0] === 'registry' && args[1] === 'list') { out(JSON.stringify(state.k3dRegistries)); break; }
    if (args[0] === 'registry' && args[1] === 'create') { state.k3dRegistries.push({ name: 'k3d-' + args[2] }); save(); break; }
    if (args[0] === 'registry' && args[1] === 'delete') { state.k3dRegistries = state.k3dRegistries.filter((r) => r.name !== args[2]); save(); break; }
    if (args[0] === 'cluster' && args[1] === 'list') { out(JSON.stringify(state.k3dClusters)); break; }
    if (args[0] === 'cluster' && args[1] === 'create') { const cfg = fs.readFileSync(opt('--config'), 'utf8'); state.k3dConfig = cfg; const name = /metadata:\s*\n\s+name:\s*(\S+)/.exec(cfg)[1]; state.k3dClusters.push({ name, serversCount: 1, serversRunning: 1 }); save(); break; }
    if (args[0] === 'cluster' && args[1] === 'start') { for (const c of state.k3dClusters) if (c.name === args[2]) c.serversRunning = c.serversCount; save(); break; }
    if (args[0] === 'kubeconfig' && args[1] === 'merge') { break; }
    if (args[0] === 'cluster' && args[1] === 'delete') { state.k3dClusters = state.k3dClusters.filter((c) => c.name !== args[2]); save(); break; }
    break;
  }
  case 'kind': {
    if (args[0] === 'version') { out('kind ' + v.kind + ' go1.26 linux/amd64\n'); break; }
    if (state.dockerDown) fail('ERROR: failed to list clusters: command "docker ps -a --filter label=io.x-k8s.kind.cluster --format \'{{.Label "io.x-k8s.kind.cluster"}}\'" failed with error: exit status 1');
    if (has('get', 'clusters')) { if (!state.kindClusters.length) process.stderr.write('No kind clusters found.\n'); out(state.kindClusters.map((c) => c + '\n').join('')); break; }
    if (has('get', 'nodes')) { out(opt('--name') + '-control-plane\n'); break; }
    if (has('create', 'cluster')) { const name = opt('--name'); state.kindClusters.push(name); state.kindConfig = stdin; state.containers[name + '-control-plane'] = { running: true, networks: ['kind'] }; save(); break; }
    if (has('export', 'kubeconfig')) { break; }
    if (has('delete', 'cluster')) { const name = opt('--name'); state.kindClusters = state.kindClusters.filter((c) => c !== name); delete state.containers[name + '-control-plane']; save(); break; }
    break;
  }
  case 'helm': {
    if (args[0] === 'version') { out(v.helm); break; }
    const ns = opt('-n');
    if (args[0] === 'list') {
      const selector = opt('--selector');
      const [key, value] = selector ? selector.split('=') : [];
      out(JSON.stringify(state.releases.filter((r) => !selector || (r.labels ?? {})[key] === value).map(({ values, labels, ...r }) => r)));
      break;
    }
    if (args[0] === 'get' && args[1] === 'values') { const r = state.releases.find((x) => x.name === args[2] && x.namespace === ns); if (!r) fail('release: not found'); out(JSON.stringify(r.values)); break; }
    if (args[0] === 'status') { if (!state.releases.some((x) => x.name === args[1] && x.namespace === ns)) fail('release: not found'); out('STATUS: deployed\n'); break; }
    if (args[0] === 'upgrade') {
      const [name, chart] = args.slice(2, 4);
      const values = {};
      args.forEach((a, i) => { if (a === '--set-json') { const s = args[i + 1]; const eq = s.indexOf('='); values[s.slice(0, eq)] = JSON.parse(s.slice(eq + 1)); } });
      state.releases = state.releases.filter((x) => !(x.name === name && x.namespace === ns));
      const labels = Object.fromEntries((opt('--labels') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));
      state.releases.push({ name, namespace: ns, status: 'deployed', chart: chart.split('/').pop() + '-' + opt('--version'), values, labels });
      save();
      break;
    }
    if (args[0] === 'uninstall') { state.releases = state.releases.filter((x) => !(x.name === args[1] && x.namespace === ns)); save(); break; }
    if (args[0] === 'rollback') { for (const r of state.releases) if (r.name === args[1]) r.status = 'deployed'; save(); break; }
    break;
  }
  case 'kubectl': {
    if (args[0] === 'version') { out(JSON.stringify({ clientVersion: { gitVersion: v.kubectl } })); break; }
    if (has('get', '--raw', '/readyz')) { if (state.apiUnhealthy) fail('The connection to the server 0.0.0.0:6443 was refused - did you specify the right host or port?'); out('ok'); break; }
    if (args[0] === 'kustomize') { out(fs.readFileSync(process.env.STUB_KUSTOMIZE, 'utf8')); break; }
    if (has('get', 'crd') && opt('--selector')) { out(state.ownedCrds.map((n) => 'customresourcedefinition.apiextensions.k8s.io/' + n + '\n').join('')); break; }
    if (has('get', 'crd')) {
      const name = args[args.indexOf('crd') + 1];
      if (!(name in state.crds)) fail('Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io "' + name + '" not found');
      out(JSON.stringify({ metadata: { name, labels: state.ownedCrds.includes(name) ? { 'app.kubernetes.io/managed-by': 'shopmesh' } : {}, annotations: { 'gateway.networking.k8s.io/bundle-version': state.crds[name] } } }));
      break;
    }
    if (has('get', 'configmap', 'shopmesh-sandbox')) { if (!state.sandboxRecord) fail('Error from server (NotFound): configmaps "shopmesh-sandbox" not found'); out(JSON.stringify({ data: state.sandboxRecord })); break; }
    if (has('get', 'namespace')) {
      const name = args[args.indexOf('namespace') + 1];
      if (!(name in state.namespaces)) fail('Error from server (NotFound): namespaces "' + name + '" not found');
      out(JSON.stringify({ metadata: { name, labels: state.namespaces[name] } }));
      break;
    }
    if (has('label', '--overwrite')) {
      if (/gateway-api\/releases\/download\//.test(opt('-f') ?? '')) for (const crd of Object.keys(state.crds)) if (crd.endsWith('.gateway.networking.k8s.io') && !state.ownedCrds.includes(crd)) state.ownedCrds.push(crd);
      save();
      break;
    }
    if (has('delete', 'namespace')) { for (const n of args.slice(args.indexOf('namespace') + 1).filter((a) => !a.startsWith('--'))) delete state.namespaces[n]; save(); break; }
    if (has('get', 'deployment')) { const name = args[args.indexOf('deployment') + 1]; if (!state.deployments.includes(name)) fail('Error from server (NotFound)'); out('deployment.apps/' + name + '\n'); break; }
    if (has('apply')) {
      const url = opt('-f');
      const m = /gateway-api\/releases\/download\/(v[\d.]+)\//.exec(url);
      if (m) for (const crd of ['gatewayclasses', 'gateways', 'httproutes']) state.crds[crd + '.gateway.networking.k8s.io'] = m[1];
      const addon = /samples\/addons\/(\w+)\.yaml$/.exec(url);
      if (addon) state.deployments.push(addon[1]);
      save();
      break;
    }
    break;
  }
  case 'microk8s': {
    if (!state.microk8s) fail('microk8s: command not found', 127);
    if (args[0] === 'status' && opt('--format') === 'yaml') { out('microk8s:\n  running: ' + state.microk8s.running + '\naddons:\n' + ['dns', 'registry', 'hostpath-storage', 'istio', 'ingress'].map((a) => '  - name: ' + a + '\n    status: ' + (state.microk8s.addons.includes(a) ? 'enabled' : 'disabled') + '\n').join('')); break; }
    if (args[0] === 'enable') { state.microk8s.addons.push(args[1]); save(); break; }
    if (args[0] === 'disable') { state.microk8s.addons = state.microk8s.addons.filter((a) => a !== args[1]); save(); break; }
    if (args[0] === 'start') { state.microk8s.running = true; save(); break; }
    break;
  }
}
`;

export class StubBin {
  readonly dir: string;
  readonly stateDir: string;
  private readonly emptyBinDir: string;

  /**
   * @param realTools the real tools' folder whose CLIs judge every call (default: the repository's
   *   .bin/, provided by `npm run tools`); null only for a test of the stubs themselves.
   */
  constructor(initial: StubState = {}, kustomizeOutput = '', readonly realTools: string | null = path.join(repoRoot, '.bin')) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'stub-bin-'));
    this.stateDir = mkdtempSync(path.join(os.tmpdir(), 'stub-state-'));
    this.emptyBinDir = mkdtempSync(path.join(os.tmpdir(), 'stub-no-bin-'));
    // One script per tool, each knowing its name; the executable wrapper runs it with this Node.
    for (const tool of STUBBED) {
      const file = path.join(this.dir, tool);
      writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${path.join(this.dir, `${tool}.mjs`)}" "$@"\n`);
      chmodSync(file, 0o755);
    }
    for (const tool of STUBBED) writeFileSync(path.join(this.dir, `${tool}.mjs`), SCRIPT.replace('path.basename(process.argv[1])', JSON.stringify(tool)));
    writeFileSync(path.join(this.stateDir, 'state.json'), JSON.stringify(initial));
    writeFileSync(path.join(this.stateDir, 'kustomize.yaml'), kustomizeOutput);
  }

  /** Environment for running with the stubs first on PATH. */
  env(): Record<string, string> {
    const versions: Partial<Record<ToolName, string>> = {};
    for (const t of ['kubectl', 'helm', 'k3d', 'kind'] as const) versions[t] = pinnedVersion(t);
    return {
      PATH: `${this.dir}${path.delimiter}${process.env.PATH ?? ''}`,
      STUB_STATE: this.stateDir,
      STUB_VERSIONS: JSON.stringify(versions),
      STUB_KUSTOMIZE: path.join(this.stateDir, 'kustomize.yaml'),
      // The scripts put the project's tool folder first on PATH; an empty one keeps the real tools
      // from answering in the stubs' place (the stubs still have them judge every call).
      SHOPMESH_BIN_DIR: this.emptyBinDir,
      ...(this.realTools ? { STUB_REAL_CLI: REAL_CLI_MODULE, STUB_REAL_BIN: this.realTools } : {}),
    };
  }

  /** The calls the real tools refused (each also failed, with the reason on stderr). */
  refused(): Array<StubCall & { reason: string }> {
    const file = path.join(this.stateDir, 'refused.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as StubCall & { reason: string });
  }

  /** Applies env() to this process (in-process script runs); returns a restore function. */
  install(): () => void {
    const saved: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(this.env())) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    return () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
  }

  calls(): StubCall[] {
    const file = path.join(this.stateDir, 'calls.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as StubCall);
  }

  state(): StubState {
    return JSON.parse(readFileSync(path.join(this.stateDir, 'state.json'), 'utf8')) as StubState;
  }
}

const MUTATING: Array<(c: StubCall) => boolean> = [
  (c) => c.tool === 'k3d' && (['create', 'delete', 'start'].includes(c.args[1] ?? '') || (c.args[0] === 'kubeconfig' && c.args[1] === 'merge')),
  (c) => c.tool === 'kind' && ['create', 'delete', 'export'].includes(c.args[0] ?? ''),
  (c) => c.tool === 'docker' && (['run', 'start', 'rm', 'network', 'build', 'push'].includes(c.args[0] ?? '') || (c.args[0] === 'exec' && !c.args.includes('cat'))),
  (c) => c.tool === 'helm' && ['upgrade', 'install', 'uninstall', 'rollback'].includes(c.args[0] ?? ''),
  (c) => c.tool === 'kubectl' && ['apply', 'delete', 'create', 'label'].some((v) => c.args.includes(v)),
  (c) => c.tool === 'microk8s' && ['enable', 'disable', 'start'].includes(c.args[0] ?? ''),
];

/** The calls that change something, as `tool arg arg…` lines. */
export function mutatingCalls(calls: StubCall[]): string[] {
  return calls.filter((c) => MUTATING.some((m) => m(c))).map((c) => [c.tool, ...c.args].join(' '));
}

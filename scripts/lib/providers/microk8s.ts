// microk8s: the host's own cluster. up enables the dns, registry and hostpath-storage addons (never
// the istio addon, stuck on an end-of-life Istio) and merges its kube context; the gateway is a
// NodePort. down removes what up installed and leaves microk8s itself alone.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { FixableError } from '../cli.ts';
import { sandboxContext } from '../kube/context.ts';
import type { Runner } from '../plan.ts';
import { HTTP_NODE_PORT, HTTPS_NODE_PORT, NODE_PORT_GATEWAY, toolPath, type ClusterProvider, type ClusterState, type ToolPaths } from './types.ts';

export const MICROK8S_ADDONS = ['dns', 'registry', 'hostpath-storage'] as const;
/** Helm releases up installs, in the order down removes them. */
export const SANDBOX_RELEASES = [
  { release: 'istio-ingress', namespace: 'istio-ingress' },
  { release: 'cert-manager', namespace: 'cert-manager' },
  { release: 'istiod', namespace: 'istio-system' },
  { release: 'istio-base', namespace: 'istio-system' },
];
export const SANDBOX_NAMESPACES = ['shop', 'istio-ingress', 'cert-manager', 'istio-system'];

async function microk8sStatus(runner: Runner): Promise<{ running: boolean; enabled: string[] } | undefined> {
  let r;
  try {
    r = await runner.query('microk8s', ['status', '--format', 'yaml']);
  } catch {
    return undefined;
  }
  if (r.code === 127) return undefined;
  type Status = { microk8s?: { running?: boolean }; addons?: Array<{ name: string; status: string }> };
  let parsed: Status | undefined;
  try {
    parsed = (YAML.parse(r.stdout) as Status | null) ?? undefined;
  } catch {
    parsed = undefined;
  }
  return { running: r.code === 0 && parsed?.microk8s?.running !== false, enabled: (parsed?.addons ?? []).filter((a) => a.status === 'enabled').map((a) => a.name) };
}

function defaultKubeconfigPath(): string {
  return (process.env.KUBECONFIG ?? '').split(path.delimiter).find(Boolean) ?? path.join(os.homedir(), '.kube', 'config');
}

/** Adds the microk8s context (and its cluster and user) to the default kubeconfig, replacing stale ones. */
export function mergeKubeconfig(extra: string, target = defaultKubeconfigPath()): void {
  const kc = new KubeConfig();
  if (existsSync(target)) kc.loadFromFile(target);
  const add = new KubeConfig();
  add.loadFromString(extra);
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: [...kc.getClusters().filter((c) => !add.getClusters().some((a) => a.name === c.name)), ...add.getClusters()],
    users: [...kc.getUsers().filter((u) => !add.getUsers().some((a) => a.name === u.name)), ...add.getUsers()],
    contexts: [...kc.getContexts().filter((c) => !add.getContexts().some((a) => a.name === c.name)), ...add.getContexts()],
    currentContext: kc.getCurrentContext() || add.getCurrentContext(),
  });
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, merged.exportConfig(), { mode: 0o600 });
}

export const microk8sProvider: ClusterProvider = {
  name: 'microk8s',
  context: sandboxContext('microk8s'),
  httpPort: HTTP_NODE_PORT,
  httpsPort: HTTPS_NODE_PORT,
  registry: { push: 'localhost:32000', cluster: 'localhost:32000' },
  gatewayService: NODE_PORT_GATEWAY,
  tools: [],
  hostPorts: [],

  async clusterState(runner): Promise<ClusterState> {
    const s = await microk8sStatus(runner);
    if (!s) return 'absent';
    return s.running ? 'running' : 'stopped';
  },

  async ownedPorts() {
    return [];
  },

  async up(runner: Runner) {
    let status = await microk8sStatus(runner);
    if (!status) {
      const install = 'sudo snap install microk8s --classic --channel=1.35/stable && sudo usermod -a -G microk8s $USER (then log in again)';
      if (!runner.dryRun) throw new FixableError('microk8s is not installed', install);
      // A plan is still worth reading before installing microk8s: show it as for a fresh install.
      runner.note(`microk8s is not installed on this machine (up does not install it: ${install}); the plan below is for a fresh install`);
      status = { running: false, enabled: [] };
    }
    await runner.step('microk8s running', async () => {
      if (status.running) return runner.note('running');
      await runner.exec('microk8s', ['start']);
      await runner.exec('microk8s', ['status', '--wait-ready', '--timeout', '300']);
    });
    await runner.step(`microk8s addons ${MICROK8S_ADDONS.join(', ')}`, async () => {
      for (const addon of MICROK8S_ADDONS) {
        if (status.enabled.includes(addon)) runner.note(`${addon} enabled`);
        else await runner.exec('microk8s', ['enable', addon]);
      }
    });
    await runner.step('kube context microk8s in your kubeconfig', async () => {
      const probe = new KubeConfig();
      try {
        probe.loadFromDefault();
      } catch {
        // no kubeconfig yet
      }
      if (probe.getContextObject(this.context)) return runner.note('present');
      const config = await runner.query('microk8s', ['config']);
      await runner.api(`merge the microk8s context into ${defaultKubeconfigPath()}`, async () => mergeKubeconfig(config.stdout));
    });
  },

  async down(runner: Runner, tools: ToolPaths, opts) {
    const helm = toolPath(tools, 'helm');
    const kubectl = toolPath(tools, 'kubectl');
    for (const { release, namespace } of SANDBOX_RELEASES) {
      const found = await runner.query(helm, ['status', release, '-n', namespace, '--kube-context', this.context]);
      if (found.code === 0) await runner.exec(helm, ['uninstall', release, '-n', namespace, '--kube-context', this.context, '--wait']);
    }
    await runner.exec(kubectl, ['--context', this.context, 'delete', 'namespace', ...SANDBOX_NAMESPACES, '--ignore-not-found', '--wait=true']);
    if (opts.all) await runner.exec('microk8s', ['disable', 'registry']);
  },
};

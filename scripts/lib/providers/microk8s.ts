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
import { listReleases } from '../kube/helm.ts';
import { isOwned, OWNED } from '../kube/ownership.ts';
import { addedFromRecord, PORTS_CONFIGMAP } from './ports.ts';
import type { Runner } from '../plan.ts';
import { HTTP_NODE_PORT, HTTPS_NODE_PORT, NODE_PORT_GATEWAY, toolPath, type ClusterProvider, type ClusterState, type ToolPaths } from './types.ts';

export const MICROK8S_ADDONS = ['dns', 'registry', 'hostpath-storage'] as const;
/** Helm releases up installs, in the order down removes them. */
export const SANDBOX_RELEASES = [
  { release: 'istio-ingress', namespace: 'istio-ingress' },
  { release: 'cert-manager', namespace: 'cert-manager' },
  { release: 'istiod', namespace: 'istio-system' },
  { release: 'istio-cni', namespace: 'istio-system' },
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

/** The addons this run of up enabled (the record in the cluster keeps those of earlier runs). */
const enabledNow: string[] = [];

export const microk8sProvider: ClusterProvider = {
  name: 'microk8s',
  context: sandboxContext('microk8s'),
  httpPort: HTTP_NODE_PORT,
  httpsPort: HTTPS_NODE_PORT,
  registry: { push: 'localhost:32000', cluster: 'localhost:32000' },
  gatewayService: NODE_PORT_GATEWAY,
  istioPlatform: 'microk8s',
  ownsCluster: false,
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
        else {
          await runner.exec('microk8s', ['enable', addon]);
          enabledNow.push(addon);
        }
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

  // The cluster is the user's own: only what carries shopmesh's mark is removed, the rest is named and kept.
  addedByUp() {
    return [...enabledNow];
  },

  async down(runner: Runner, tools: ToolPaths, opts) {
    const helm = toolPath(tools, 'helm');
    const kubectl = toolPath(tools, 'kubectl');
    const ours = await listReleases(runner, helm, this.context, { onlyOurs: true });
    const all = await listReleases(runner, helm, this.context);
    for (const { release, namespace } of SANDBOX_RELEASES) {
      const same = (x: { name: string; namespace: string }) => x.name === release && x.namespace === namespace;
      if (ours.some(same)) await runner.exec(helm, ['uninstall', release, '-n', namespace, '--kube-context', this.context, '--wait']);
      else if (all.some(same)) runner.note(`kept the Helm release ${release} in ${namespace}: shopmesh did not install it`);
    }
    const namespaces: string[] = [];
    for (const name of SANDBOX_NAMESPACES) {
      const r = await runner.query(kubectl, ['--context', this.context, 'get', 'namespace', name, '-o', 'json']);
      if (r.code !== 0) continue;
      let labels: Record<string, string> | undefined;
      try {
        labels = (JSON.parse(r.stdout) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels;
      } catch {
        labels = undefined;
      }
      if (isOwned(labels)) namespaces.push(name);
      else runner.note(`kept namespace ${name}: shopmesh did not create it`);
    }
    if (namespaces.length) await runner.exec(kubectl, ['--context', this.context, 'delete', 'namespace', ...namespaces, '--ignore-not-found', '--wait=true']);
    const crds = await runner.query(kubectl, ['--context', this.context, 'get', 'crd', '--selector', OWNED, '-o', 'name']);
    const owned = crds.code === 0 ? crds.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
    if (owned.length) await runner.exec(kubectl, ['--context', this.context, 'delete', ...owned, '--ignore-not-found']);
    if (opts.all) {
      // Only the addons up enabled (recorded in the cluster); ones the user had before stay.
      const record = await runner.query(kubectl, ['--context', this.context, 'get', 'configmap', PORTS_CONFIGMAP.name, '-n', PORTS_CONFIGMAP.namespace, '-o', 'json']);
      let added: string[] = [];
      try {
        added = addedFromRecord((JSON.parse(record.stdout) as { data?: Record<string, string> }).data);
      } catch {
        added = [];
      }
      for (const addon of ['registry', 'hostpath-storage', 'dns'].filter((a) => added.includes(a))) await runner.exec('microk8s', ['disable', addon]);
      for (const addon of MICROK8S_ADDONS.filter((a) => !added.includes(a))) runner.note(`kept the ${addon} addon: up did not enable it`);
    }
  },
};

// npm run status: the cluster, Istio and cert-manager versions, the shop's pods (2/2 means the
// sidecar is in), the scenario applied, and the URLs.
import './lib/node-version.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { FixableError, parseCommand, runMain, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { Runner, type Output } from './lib/plan.ts';
import { loadSandboxKubeConfig } from './lib/kube/client.ts';
import { PROVIDERS } from './lib/kube/context.ts';
import { chartVersionOf, listReleases } from './lib/kube/helm.ts';
import { currentScenario, SHOP_NAMESPACE } from './lib/kube/shop.ts';
import { resolveProvider } from './lib/providers/index.ts';
import { PORTS_CONFIGMAP, portsFromConfigMap, sandboxPorts } from './lib/providers/ports.ts';
import { preferProjectBin } from './lib/tools/index.ts';
import { version } from './lib/versions.ts';

export const statusSpec = {
  name: 'status',
  summary: 'show the sandbox: cluster, Istio and cert-manager versions, pods, current scenario, URLs',
  usage: 'npm run status -- [--provider k3d|kind|microk8s]',
  options: {
    provider: { type: 'string', choices: PROVIDERS, description: 'which sandbox (default: the current sandbox context, else k3d)' },
    kubeconfig: { type: 'string', description: 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)' },
    'dry-run': { type: 'boolean', description: 'status only reads; accepted for symmetry with the other scripts' },
  },
} satisfies CommandSpec<Record<string, OptionSpec>>;

export async function status(argv: string[], deps: { out?: Output } = {}): Promise<number> {
  const out = deps.out ?? process.stdout;
  const parsed = parseCommand(statusSpec, argv, (t) => out.write(t));
  if (!parsed) return 0;
  const provider = resolveProvider(parsed.options.provider);
  const { kc, context } = loadSandboxKubeConfig({ context: provider.context, ...(parsed.options.kubeconfig ? { kubeconfig: parsed.options.kubeconfig } : {}) });
  preferProjectBin();
  const runner = new Runner({ out });
  const state = await provider.clusterState(runner, {});
  if (state === 'absent') throw new FixableError(`there is no ${provider.name} sandbox cluster`, `npm run up -- --provider ${provider.name}`);
  const lines: string[] = [`cluster   ${provider.name} (${state}), kube context ${context}`];
  // helm must read the same kubeconfig as the API calls.
  const releases = await listReleases(runner, 'helm', context, parsed.options.kubeconfig ? { kubeconfig: parsed.options.kubeconfig } : {});
  const chartOf = (name: string, chart: string) => {
    const r = releases.find((x) => x.name === name);
    return r ? `${chartVersionOf(r, chart)} (${r.status})` : 'not installed';
  };
  lines.push(`istio     ${chartOf('istiod', 'istiod')} (pinned ${version('charts.istio')}); gateway ${chartOf('istio-ingress', 'gateway')}`);
  lines.push(`certs     cert-manager ${chartOf('cert-manager', 'cert-manager')} (pinned ${version('charts.certManager')})`);
  const scenario = await currentScenario(kc).catch(() => undefined);
  lines.push(`scenario  ${scenario ?? 'baseline (no scenario recorded)'}`);
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: SHOP_NAMESPACE });
  lines.push(`pods in ${SHOP_NAMESPACE}:`);
  if (!pods.items.length) lines.push('  (none: run `npm run up`)');
  for (const pod of pods.items) {
    const statuses = pod.status?.containerStatuses ?? [];
    const ready = statuses.filter((s) => s.ready).length;
    const total = pod.spec?.containers.length ?? statuses.length;
    const note = total < 2 ? '  ← no sidecar: is injection on for shop?' : ready < total ? '  ← not ready' : '';
    lines.push(`  ${(pod.metadata?.name ?? '?').padEnd(40)} ${ready}/${total}  ${pod.status?.phase ?? ''}${note}`);
  }
  // The ports up recorded win over the defaults: `up --http-port 9080` is still true a week later.
  const recorded = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedConfigMap({ namespace: PORTS_CONFIGMAP.namespace, name: PORTS_CONFIGMAP.name })
    .then((cm) => cm.data)
    .catch(() => undefined);
  const ports = portsFromConfigMap(recorded, { ...sandboxPorts(), http: provider.httpPort, https: provider.httpsPort });
  lines.push(`urls      http://shop.localhost:${ports.http}/   https://shop.localhost:${ports.https}/ (tls scenario)${recorded ? '' : '  (ports not recorded by up: the defaults)'}`);
  out.write(`${lines.join('\n')}\n`);
  return 0;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) void runMain(() => status(process.argv.slice(2)));

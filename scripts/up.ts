// npm run up: the sandbox cluster with its registry, Istio, the ingress gateway, cert-manager and the
// shop, every step safe to re-run. `--dry-run` prints the plan of commands and API calls.
import './lib/node-version.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { FixableError, parseCommand, runMain, UsageError, type CommandSpec } from './lib/cli.ts';
import { Runner, type Output } from './lib/plan.ts';
import { installCertManager } from './lib/certmanager/install.ts';
import { buildAndPushImages } from './lib/images/build.ts';
import { GATEWAY_NAMESPACE, installAddons, installGatewayApiCrds, installIstio, parseAddons, ADDONS } from './lib/istio/install.ts';
import { readObject, serverSideApply } from './lib/kube/apply.ts';
import { tryLoadSandboxKubeConfig, loadSandboxKubeConfig } from './lib/kube/client.ts';
import { assertSandboxContext, PROVIDERS } from './lib/kube/context.ts';
import { renderKustomization, type KubeObject } from './lib/kube/render.ts';
import { currentScenario, ensureJwtSecret, ensureServiceTokenSecret, SERVICE_TOKEN_SECRET, JWT_SECRET, setImages, SHOP_NAMESPACE, smokeCheck } from './lib/kube/shop.ts';
import { waitForRollouts } from './lib/kube/wait.ts';
import { failures, formatChecks, runPreflight, type PreflightDeps } from './lib/preflight/index.ts';
import { resolveProvider } from './lib/providers/index.ts';
import { addedFromRecord, applyPortOptions, DEFAULT_PORTS, PORT_OPTIONS, PORT_VARIABLES, PORTS_CONFIGMAP, portsConfigMap, type SandboxPorts } from './lib/providers/ports.ts';
import type { ClusterProvider, ToolPaths } from './lib/providers/types.ts';
import { ensureTool, preferProjectBin, type EnsureToolOptions } from './lib/tools/index.ts';
import { repoRoot } from './lib/versions.ts';

export const upSpec = {
  name: 'up',
  summary: 'create (or repair) the local sandbox: cluster, registry, Istio, gateway, cert-manager and the shop',
  usage: 'npm run up -- [--provider k3d|kind|microk8s] [--addons prometheus,kiali,jaeger] [--dry-run]',
  options: {
    provider: { type: 'string', choices: PROVIDERS, description: 'which local cluster to use (default: the current sandbox context, else k3d)' },
    addons: { type: 'string', description: `comma-separated addons from the matching Istio release: ${ADDONS.join(', ')}` },
    'dry-run': { type: 'boolean', description: 'print the plan of commands and API calls; change nothing' },
    'skip-smoke': { type: 'boolean', description: 'do not call the shop through the gateway at the end' },
    'timeout-minutes': { type: 'string', default: '10', description: 'how long to wait for the shop to roll out' },
    ...PORT_OPTIONS,
  },
  details: `Needs Docker (k3d, kind) or microk8s, and Node 24. Missing tools (kubectl, helm, k3d, kind) are
downloaded into .bin/ at the versions in versions.yaml, checked against pinned sha256 sums.
Every step is safe to re-run: a second \`npm run up\` only repairs what is missing.

  k3d       (default) registry k3d-shopmesh-registry.localhost:${DEFAULT_PORTS.registry}, gateway at http://shop.localhost:${DEFAULT_PORTS.http}
  kind      registry container shopmesh-registry on localhost:${DEFAULT_PORTS.registry}, gateway NodePorts mapped to ${DEFAULT_PORTS.http}/${DEFAULT_PORTS.https}
  microk8s  addons dns, registry (localhost:32000), hostpath-storage; gateway at http://shop.localhost:30080

The host ports move with --http-port, --https-port and --registry-port (or ${PORT_VARIABLES.http},
${PORT_VARIABLES.https}, ${PORT_VARIABLES.registry}); up records them in the cluster for status and the scenarios.`,
} satisfies CommandSpec<Record<string, import('./lib/cli.ts').OptionSpec>>;

export interface UpDeps {
  out?: Output;
  buildImages?: typeof buildAndPushImages;
  preflight?: PreflightDeps;
  tools?: EnsureToolOptions;
  /** Where the smoke check sends requests (default: the provider's gateway port on 127.0.0.1). */
  gatewayUrl?: string;
  pollIntervalMs?: number;
}

export async function resolveTools(runner: Runner, provider: ClusterProvider, opts?: EnsureToolOptions): Promise<ToolPaths> {
  const tools: ToolPaths = {};
  for (const name of ['kubectl', 'helm', ...provider.tools] as const) tools[name] = await ensureTool(runner, name, opts);
  return tools;
}

/** Records the ports and, on a shared cluster, what up enabled, adding to what earlier runs recorded. */
async function recordSandbox(runner: Runner, kc: KubeConfig, provider: ClusterProvider, ports: SandboxPorts, reachable: boolean): Promise<void> {
  const earlier = reachable && !runner.dryRun ? await readObject<KubeObject & { data?: Record<string, string> }>(kc, { apiVersion: 'v1', kind: 'ConfigMap', namespace: PORTS_CONFIGMAP.namespace, name: PORTS_CONFIGMAP.name }).catch(() => undefined) : undefined;
  const added = [...addedFromRecord(earlier?.data), ...(provider.addedByUp?.() ?? [])];
  const recorded = provider.name === 'microk8s' ? { ...ports, http: provider.httpPort, https: provider.httpsPort } : ports;
  await serverSideApply(runner, kc, [portsConfigMap(recorded, added)], { fieldManager: 'shopmesh' });
}

export async function up(argv: string[], deps: UpDeps = {}): Promise<number> {
  const out = deps.out ?? process.stdout;
  const parsed = parseCommand(upSpec, argv, (t) => out.write(t));
  if (!parsed) return 0;
  const o = parsed.options;
  let addons;
  try {
    addons = parseAddons(o.addons);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const timeoutMinutes = Number(o['timeout-minutes']);
  if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0) throw new UsageError('--timeout-minutes must be a positive number');
  const ports = applyPortOptions(o);
  const provider = resolveProvider(o.provider);
  assertSandboxContext(provider.context);
  const runner = new Runner({ dryRun: o['dry-run'], out });
  if (runner.dryRun) runner.note(`Plan for \`npm run up\` with ${provider.name} (dry run: nothing is changed)`);
  preferProjectBin(deps.tools?.root);

  // .bin/ is first on PATH, so plain tool names find downloaded tools here.
  await runner.step('preflight', async () => {
    const checks = await runPreflight(runner, provider, {}, deps.preflight);
    for (const line of formatChecks(checks).split('\n')) runner.note(line);
    const bad = failures(checks);
    if (bad.length && !runner.dryRun) {
      throw new FixableError(`${bad.length} preflight problem(s): ${bad.map((c) => c.message).join('; ')}`, bad.map((c) => c.fix).filter(Boolean).join('\n      '));
    }
  });

  const tools = await runner.step('tools at their pinned versions', () => resolveTools(runner, provider, deps.tools));
  const kubectl = tools.kubectl!;
  const helm = tools.helm!;
  process.env.KUBECTL = kubectl;

  await runner.step(`cluster (${provider.name})`, () => provider.up(runner, tools));

  // After the cluster exists its context does too; before that (a dry run) the API calls are only planned.
  const planned = runner.dryRun ? tryLoadSandboxKubeConfig({ context: provider.context }) : undefined;
  const kc = runner.dryRun ? (planned?.kc ?? new KubeConfig()) : loadSandboxKubeConfig({ context: provider.context }).kc;
  // A dry run reads the cluster only when it runs and its context is in the kubeconfig.
  const clusterReachable = !runner.dryRun || (Boolean(planned) && (await provider.clusterState(runner, tools)) === 'running');
  if (provider.wire) await runner.step('registry wiring visible to Tilt (local-registry-hosting)', () => provider.wire!(runner, kc));
  await runner.step(`host ports recorded for status and the scenarios (${PORTS_CONFIGMAP.namespace}/${PORTS_CONFIGMAP.name})`, () =>
    recordSandbox(runner, kc, provider, ports, clusterReachable),
  );

  const ownership = { ownsCluster: provider.ownsCluster };
  await runner.step('Gateway API CRDs', () => installGatewayApiCrds(runner, kubectl, provider.context, ownership));
  await runner.step('Istio', () =>
    installIstio(runner, { helm, kc, context: provider.context, gatewayService: provider.gatewayService, ...(provider.istioPlatform ? { platform: provider.istioPlatform } : {}), ownership, reachable: clusterReachable }),
  );
  await runner.step('cert-manager and the sandbox CA', () => installCertManager(runner, helm, kc, provider.context, ownership, clusterReachable));
  if (addons.length) await runner.step(`addons: ${addons.join(', ')}`, () => installAddons(runner, kubectl, kc, provider.context, addons));

  const refs = await runner.step(`images pushed to ${provider.registry.push}`, async () => {
    try {
      return await (deps.buildImages ?? buildAndPushImages)(runner, { pushRegistry: provider.registry.push, clusterRegistry: provider.registry.cluster });
    } catch (err) {
      if (!runner.dryRun) throw err;
      runner.note(`(the image build cannot be planned: ${(err as Error).message})`);
      return {};
    }
  });

  const scenario = clusterReachable ? await currentScenario(kc).catch(() => undefined) : undefined;
  if (scenario && scenario !== 'baseline') {
    runner.note(`scenario "${scenario}" is applied; the shop is left as it is (npm run scenario:reset returns to the baseline)`);
  } else {
    await runner.step('the shop (root kustomization, server-side apply, field manager shopmesh)', async () => {
      let objects: KubeObject[];
      try {
        objects = setImages(await renderKustomization(repoRoot, runner.dryRun && kubectl.includes('/') && !existsSync(kubectl) ? 'kubectl' : kubectl), refs);
      } catch (err) {
        if (!runner.dryRun) throw err;
        runner.note(`(could not render the kustomization in a dry run: ${(err as Error).message})`);
        objects = [];
      }
      const namespaces = objects.filter((x) => x.kind === 'Namespace');
      await serverSideApply(runner, kc, namespaces.length ? namespaces : [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SHOP_NAMESPACE } }], { fieldManager: 'shopmesh' });
      const secretExists = clusterReachable && !runner.dryRun ? Boolean(await readObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace: SHOP_NAMESPACE, name: JWT_SECRET })) : false;
      await ensureJwtSecret(runner, kc, secretExists);
      const tokenExists = clusterReachable && !runner.dryRun ? Boolean(await readObject(kc, { apiVersion: 'v1', kind: 'Secret', namespace: SHOP_NAMESPACE, name: SERVICE_TOKEN_SECRET })) : false;
      await ensureServiceTokenSecret(runner, kc, tokenExists);
      await serverSideApply(runner, kc, objects.filter((x) => x.kind !== 'Namespace'), { fieldManager: 'shopmesh' });
    });
  }

  await runner.step('rollouts in shop', () =>
    waitForRollouts(runner, kc, SHOP_NAMESPACE, { timeoutMs: timeoutMinutes * 60_000, onProgress: (m) => runner.note(m), ...(deps.pollIntervalMs ? { intervalMs: deps.pollIntervalMs } : {}) }),
  );
  if (!o['skip-smoke']) {
    const gatewayUrl = deps.gatewayUrl ?? `http://127.0.0.1:${provider.httpPort}`;
    await runner.step('smoke check: users 1, products 101, orders 5001', () => smokeCheck(runner, { baseUrl: gatewayUrl, host: 'shop.localhost', ...(deps.pollIntervalMs ? { intervalMs: deps.pollIntervalMs } : {}) }));
  }

  const web = `http://shop.localhost:${provider.httpPort}`;
  out.write(
    [
      '',
      runner.dryRun ? 'After these steps:' : 'The sandbox is up.',
      `  shop            ${web}/`,
      `  API             ${web}/api/products/101`,
      `  gateway         ${GATEWAY_NAMESPACE}/istio-ingress (kube context ${provider.context})`,
      ...(addons.length ? addons.map((a) => `  ${a.padEnd(15)} npm run open -- ${a}`) : ['  addons          npm run up -- --addons prometheus,kiali,jaeger']),
      '',
      'Next:',
      '  tilt up                   live-reload the services into the cluster',
      '  npm run scenario:canary   send 10% of traffic to v2 (see README for all scenarios)',
      '  npm run status            what is running',
      '  npm run down              delete the cluster (the registry stays; --all removes it too)',
      '',
    ].join('\n'),
  );
  return 0;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  process.once('SIGINT', () => {
    process.stderr.write(
      '\ninterrupted. Run `npm run up` again to finish: it re-exports a cluster context an interrupted create left out of your kubeconfig, recreates a cluster whose API server never came up, and repairs a Helm release left pending; `npm run down` removes the sandbox instead.\n',
    );
    process.exit(130);
  });
  void runMain(() => up(process.argv.slice(2)));
}

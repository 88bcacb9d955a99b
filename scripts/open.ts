// npm run open -- kiali|jaeger|prometheus: port-forwards the addon, prints its URL and opens a
// browser where there is one. Ctrl-C stops the port-forward.
import './lib/node-version.ts';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FixableError, parseCommand, runMain, UsageError, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { Runner, type Output } from './lib/plan.ts';
import { readObject } from './lib/kube/apply.ts';
import { loadSandboxKubeConfig, tryLoadSandboxKubeConfig } from './lib/kube/client.ts';
import { PROVIDERS } from './lib/kube/context.ts';
import { ADDONS, ISTIO_NAMESPACE, type Addon } from './lib/istio/install.ts';
import { resolveProvider } from './lib/providers/index.ts';
import { preferProjectBin } from './lib/tools/index.ts';

/** Services from Istio's samples/addons manifests. */
export const ADDON_ENDPOINTS: Record<Addon, { service: string; remotePort: number; localPort: number; path: string }> = {
  kiali: { service: 'kiali', remotePort: 20001, localPort: 20001, path: '/kiali' },
  jaeger: { service: 'tracing', remotePort: 80, localPort: 16686, path: '/jaeger' },
  prometheus: { service: 'prometheus', remotePort: 9090, localPort: 9090, path: '/' },
};

export const openSpec = {
  name: 'open',
  summary: 'port-forward an addon (kiali, jaeger, prometheus), print its URL and open a browser',
  usage: 'npm run open -- kiali|jaeger|prometheus [--provider k3d|kind|microk8s] [--dry-run]',
  options: {
    provider: { type: 'string', choices: PROVIDERS, description: 'which sandbox (default: the current sandbox context, else k3d)' },
    'no-browser': { type: 'boolean', description: 'only print the URL' },
    'dry-run': { type: 'boolean', description: 'print the plan; start nothing' },
  },
  allowPositionals: true,
  details: 'Install the addons first: npm run up -- --addons prometheus,kiali,jaeger',
} satisfies CommandSpec<Record<string, OptionSpec>>;

function browserCommand(url: string): [string, string[]] | undefined {
  if (process.platform === 'darwin') return ['open', [url]];
  if (process.platform === 'linux' && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) return ['xdg-open', [url]];
  return undefined;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export async function open(argv: string[], deps: { out?: Output } = {}): Promise<number> {
  const out = deps.out ?? process.stdout;
  const parsed = parseCommand(openSpec, argv, (t) => out.write(t));
  if (!parsed) return 0;
  const addon = parsed.positionals[0] as Addon | undefined;
  if (!addon || !(ADDONS as readonly string[]).includes(addon) || parsed.positionals.length > 1) throw new UsageError(`name one addon: ${ADDONS.join(', ')}`);
  const provider = resolveProvider(parsed.options.provider);
  const runner = new Runner({ dryRun: parsed.options['dry-run'], out });
  preferProjectBin();
  const ep = ADDON_ENDPOINTS[addon];
  const url = `http://localhost:${ep.localPort}${ep.path}`;
  if (!runner.dryRun) {
    const { kc } = loadSandboxKubeConfig({ context: provider.context });
    const svc = await readObject(kc, { apiVersion: 'v1', kind: 'Service', namespace: ISTIO_NAMESPACE, name: ep.service });
    if (!svc) throw new FixableError(`${addon} is not installed in the sandbox`, `npm run up -- --addons ${addon}`);
  } else {
    tryLoadSandboxKubeConfig({ context: provider.context });
  }
  const forward = runner.exec('kubectl', ['--context', provider.context, '-n', ISTIO_NAMESPACE, 'port-forward', `svc/${ep.service}`, `${ep.localPort}:${ep.remotePort}`]);
  if (runner.dryRun) {
    await forward;
    runner.note(`then: ${url}`);
    return 0;
  }
  let ready = false;
  for (let i = 0; i < 60 && !ready; i++) {
    ready = await portAnswers(ep.localPort);
    if (!ready) await sleep(500);
  }
  out.write(`${addon}: ${url}   (Ctrl-C stops the port-forward)\n`);
  const browser = browserCommand(url);
  if (ready && browser && !parsed.options['no-browser']) await runner.query(browser[0], browser[1]).catch(() => undefined);
  await forward;
  return 0;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) void runMain(() => open(process.argv.slice(2)));

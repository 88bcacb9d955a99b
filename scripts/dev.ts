// npm run dev: every service under node's file watcher on the fixed dev ports, logs prefixed, Ctrl-C stops all.
import './lib/node-version.ts';
import { parseCommand, runMain, UsageError } from './lib/cli.ts';
import { colourEnabled, createPrefixer } from './lib/dev/logs.ts';
import { buildDevPlan, DEV_HOST, formatDevPlan, parseOnly, parsePortBase } from './lib/dev/plan.ts';
import { busyPortError, findBusyPorts } from './lib/dev/ports.ts';
import { startSupervisor } from './lib/dev/supervisor.ts';
import { listServices } from './lib/services.ts';
import { repoRoot } from './lib/versions.ts';

const spec = {
  name: 'npm run dev',
  summary: 'run every shop service locally under a TypeScript watcher, restarting it when you save',
  usage: 'npm run dev -- [--only <service,...>] [--port-base <n>] [--dry-run]',
  options: {
    only: { type: 'string', description: 'Start only these services, comma-separated (their upstream URLs still point at the dev ports).' },
    'port-base': { type: 'string', description: 'Move every port: service port = base + (dev port - 5000), admin = port + 100. Also SHOPMESH_DEV_PORT_BASE.', default: '5000' },
    'json-logs': { type: 'boolean', description: 'Print the services\' JSON log lines as they are, instead of one readable line each.' },
    'dry-run': { type: 'boolean', description: 'Print the processes, ports and environment, and start nothing.' },
  },
  details: `Ports (HTTP / admin): storefront 5000/5100, users 5001/5101, products 5002/5102, orders 5003/5103, payments 5004/5104, notifications 5005/5105.
A save of a service's files or of services/shared restarts that service. Ctrl-C stops everything.
Examples:
  npm run dev
  npm run dev -- --only users,products
  npm run dev -- --port-base 6000 --dry-run`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options } = parsed;
  const services = listServices();
  if (services.length === 0) throw new Error('no services found (a service is a folder under services/ with src/main.ts)');
  let plan;
  try {
    const explicitBase = process.argv.slice(2).some((a) => a === '--port-base' || a.startsWith('--port-base='));
    const base = parsePortBase(explicitBase ? options['port-base'] : (process.env.SHOPMESH_DEV_PORT_BASE ?? options['port-base']));
    const only = parseOnly(options.only, services.map((s) => s.name));
    plan = buildDevPlan({ services, only, portBase: base, inherited: process.env });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (options['dry-run']) {
    process.stdout.write(formatDevPlan(plan));
    return 0;
  }

  const busy = await findBusyPorts(plan, DEV_HOST);
  if (busy.length > 0) throw busyPortError(busy, DEV_HOST);

  const prefixer = createPrefixer(plan.map((p) => p.service), colourEnabled(process.stdout), { rawJson: options['json-logs'] });
  const write = (line: string) => process.stdout.write(`${line}\n`);
  write(prefixer.note(`starting ${plan.map((p) => p.service).join(', ')} (Ctrl-C stops everything)`));
  const supervisor = startSupervisor({ plan, cwd: repoRoot, prefixer, write, inheritedEnv: process.env });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    write(prefixer.note(signals === 1 ? `${signal}: stopping every service…` : `${signal} again: killing every service now.`));
    void supervisor.stop(signals > 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  void supervisor.ready.then(() => {
    const width = Math.max(...plan.map((p) => p.service.length));
    write(prefixer.note('all services are listening:'));
    for (const p of plan) write(prefixer.note(`  ${p.service.padEnd(width)}  ${p.url}   admin ${p.adminUrl}`));
    const storefront = plan.find((p) => p.service === 'storefront');
    if (storefront) write(prefixer.note(`open the shop at ${storefront.url}/`));
  });

  const result = await supervisor.done;
  write(prefixer.note('every service has stopped.'));
  return result.reason === 'stopped' ? 0 : 1;
});

// npm run dev: every service as a local process on the fixed dev ports, restarted when its source is
// saved, logs prefixed; one Ctrl-C stops all gracefully.
import './lib/node-version.ts';
import { parseCommand, runMain, UsageError } from './lib/cli.ts';
import { watchLineage } from './lib/dev/lineage.ts';
import { colourEnabled, createPrefixer, isJsonObjectLine } from './lib/dev/logs.ts';
import { buildDevPlan, DEV_HOST, DEV_SHUTDOWN_TIMEOUT_MS, formatDevPlan, parseOnly, parsePortBase } from './lib/dev/plan.ts';
import { browserBlockedPortError, busyPortError, findBrowserBlockedPorts, findBusyPorts } from './lib/dev/ports.ts';
import { startSupervisor } from './lib/dev/supervisor.ts';
import { listServices } from './lib/services.ts';
import { repoRoot } from './lib/versions.ts';

/** Signals within this long of the first are the same Ctrl-C (npm passes it on again); a later one forces. */
const FORCE_AFTER_MS = 2_000;

const spec = {
  name: 'npm run dev',
  summary: 'run every shop service locally, restarting a service when you save one of its files',
  usage: 'npm run dev -- [--only <service,...>] [--port-base <n>] [--json-logs] [--dry-run]',
  options: {
    only: { type: 'string', description: 'Start only these services, comma-separated (their upstream URLs still point at the dev ports).' },
    'port-base': {
      type: 'string',
      description: 'Move every port: service port = base + (dev port - 5000), admin = port + 100. Also SHOPMESH_DEV_PORT_BASE. A base that puts a port on one browsers refuse (6000, 6665-6669, 5060, …) is refused.',
      default: '5000',
    },
    'json-logs': { type: 'boolean', description: "Print the services' JSON log lines as they are, unprefixed, on stdout (for jq); the runner's own lines go to stderr." },
    'dry-run': { type: 'boolean', description: 'Print the processes, ports and environment, and start nothing.' },
  },
  details: `Ports (HTTP / admin): storefront 5000/5100, users 5001/5101, products 5002/5102, orders 5003/5103, payments 5004/5104, notifications 5005/5105.
A save under services/<name>/src restarts that service (under services/shared/src, every service), however the file was written.
The URLs are printed once every service answers. Ctrl-C stops everything, each service draining first; Ctrl-C again
(${FORCE_AFTER_MS / 1000} s or more after the first) kills them at once.
Examples:
  npm run dev
  npm run dev -- --only users,products
  npm run dev -- --port-base 7000
  npm run dev -- --json-logs | jq 'select(.level != "debug")'`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options } = parsed;
  const services = listServices();
  if (services.length === 0) throw new Error('no services found (a service is a folder under services/ with src/main.ts)');
  let plan;
  let base;
  try {
    const explicitBase = process.argv.slice(2).some((a) => a === '--port-base' || a.startsWith('--port-base='));
    base = parsePortBase(explicitBase ? options['port-base'] : (process.env.SHOPMESH_DEV_PORT_BASE ?? options['port-base']));
    const only = parseOnly(options.only, services.map((s) => s.name));
    plan = buildDevPlan({ services, only, portBase: base, inherited: process.env });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const blocked = findBrowserBlockedPorts(plan);
  if (blocked.length > 0) {
    const offsets = plan.flatMap((p) => [p.port - base, p.adminPort - base]);
    throw browserBlockedPortError(blocked, base, offsets);
  }
  if (options['dry-run']) {
    process.stdout.write(formatDevPlan(plan));
    return 0;
  }

  const busy = await findBusyPorts(plan, DEV_HOST);
  if (busy.length > 0) throw busyPortError(busy, DEV_HOST);

  // With --json-logs, stdout carries only the services' JSON lines; everything else goes to stderr.
  const jsonLogs = Boolean(options['json-logs']);
  const noteStream = jsonLogs ? process.stderr : process.stdout;
  const prefixer = createPrefixer(plan.map((p) => p.service), colourEnabled(noteStream), { rawJson: jsonLogs });
  let stdoutBroken = false;
  const out = (line: string) => {
    if (!stdoutBroken) process.stdout.write(`${line}\n`);
  };
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const note = (line: string) => (jsonLogs ? err : out)(prefixer.note(line));

  note(`starting ${plan.map((p) => p.service).join(', ')} (Ctrl-C stops everything)`);
  const supervisor = startSupervisor({
    plan,
    cwd: repoRoot,
    inheritedEnv: process.env,
    note,
    onStoppedFromOutside: (service, how) => stopAll(`${service} was stopped from outside (${how})`),
    onLine: (service, line, stream) => {
      if (jsonLogs && stream === 'stdout' && isJsonObjectLine(line)) out(line);
      else (jsonLogs ? err : out)(prefixer.format(service, line, stream));
    },
  });

  let stopping = false;
  const stopAll = (why: string): void => {
    if (stopping) return;
    stopping = true;
    note(`${why}: stopping every service (each drains for up to ${Number(process.env.SHUTDOWN_TIMEOUT_MS || DEV_SHUTDOWN_TIMEOUT_MS) / 1000} s)…`);
    void supervisor.stop();
  };

  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      stopAll(signal);
      if (signal === 'SIGINT') note(`press Ctrl-C again after ${FORCE_AFTER_MS / 1000} s to kill them at once.`);
      return;
    }
    // The terminal signals npm, sh and this process together, and npm passes it on: one press arrives several times.
    if (Date.now() - firstSignalAt < FORCE_AFTER_MS) return;
    note(`${signal} again: killing every service now.`);
    void supervisor.stop(true);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  // A dying npm or sh above this process does not always pass a signal on: stop when one is gone.
  watchLineage((what) => stopAll(what));
  // A closed pipe (`| jq` ended): nobody reads the logs any more.
  process.stdout.on('error', () => {
    stdoutBroken = true;
    stopAll('stdout was closed');
  });

  void supervisor.ready.then(() => {
    if (stopping) return;
    const width = Math.max(...plan.map((p) => p.service.length));
    note('all services are listening:');
    for (const p of plan) note(`  ${p.service.padEnd(width)}  ${p.url}   admin ${p.adminUrl}`);
    const storefront = plan.find((p) => p.service === 'storefront');
    if (storefront) note(`open the shop at ${storefront.url}/`);
  });

  await supervisor.done;
  note('every service has stopped.');
  return 0;
});

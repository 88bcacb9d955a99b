// The plan of `npm run dev`: which processes run, on which ports, with which environment. Pure, so
// --dry-run prints it and tests assert it without starting anything.
import path from 'node:path';
import { formatCommand } from '../plan.ts';
import type { ServiceInfo } from '../services.ts';
import { startWaves, upstreamsOf, urlVariable } from './topology.ts';

/** The dev ports in CONTRIBUTING.md start here; --port-base moves the whole block. */
export const DEFAULT_PORT_BASE = 5000;
export const DEV_HOST = '127.0.0.1';
/** Draining waits at most this long in dev, so a reload or Ctrl-C is quick even with an open browser tab. */
export const DEV_SHUTDOWN_TIMEOUT_MS = '3000';

/** Preloaded into every service: it stops the service when the runner is gone (see the file). */
export const ORPHAN_GUARD = './scripts/lib/dev/orphan-guard.ts';
const SHARED_SOURCE = 'services/shared/src';

export interface DevProcess {
  service: string;
  port: number;
  adminPort: number;
  url: string;
  adminUrl: string;
  command: string;
  args: string[];
  /** Folders (repository-relative) whose source files restart this service when saved. */
  watch: string[];
  /** Variables set for this process on top of the inherited environment. */
  env: Record<string, string>;
}

export interface DevPlanOptions {
  services: readonly ServiceInfo[];
  /** Start only these services (their upstream URLs still point at the dev ports). */
  only?: readonly string[];
  portBase?: number;
  /** The inherited environment: a SHUTDOWN_TIMEOUT_MS or LOG_LEVEL set by the developer is kept. */
  inherited?: Readonly<Record<string, string | undefined>>;
  nodePath?: string;
}

export function parsePortBase(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT_BASE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024 || n > 65_000) throw new Error(`the port base must be an integer from 1024 to 65000; got "${value}"`);
  return n;
}

export function parseOnly(value: string | undefined, known: readonly string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new Error('--only needs at least one service name');
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new Error(`unknown service${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} in --only (known: ${known.join(', ')})`);
  return [...new Set(names)];
}

/** The processes to start, leaf services first. */
export function buildDevPlan(options: DevPlanOptions): DevProcess[] {
  const base = options.portBase ?? DEFAULT_PORT_BASE;
  const shift = base - DEFAULT_PORT_BASE;
  const byName = new Map(options.services.map((s) => [s.name, s]));
  const selected = options.only ?? options.services.map((s) => s.name);
  const portOf = (s: ServiceInfo) => ({ port: s.devPort + shift, adminPort: s.devAdminPort + shift });
  const inherited = options.inherited ?? {};
  const order = startWaves(selected).flat();
  return order.map((name) => {
    const info = byName.get(name);
    if (!info) throw new Error(`unknown service "${name}"`);
    const { port, adminPort } = portOf(info);
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      HOST: DEV_HOST,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      SHUTDOWN_TIMEOUT_MS: inherited.SHUTDOWN_TIMEOUT_MS || DEV_SHUTDOWN_TIMEOUT_MS,
    };
    for (const upstream of upstreamsOf(name)) {
      const u = byName.get(upstream);
      if (u) env[urlVariable(upstream)] = `http://${DEV_HOST}:${portOf(u).port}`;
    }
    return {
      service: name,
      port,
      adminPort,
      url: `http://${DEV_HOST}:${port}`,
      adminUrl: `http://${DEV_HOST}:${adminPort}`,
      command: options.nodePath ?? 'node',
      // No `node --watch`: on Linux it watches each file's inode, so a file replaced by rename (an
      // editor's atomic save, git checkout) never restarts it again. The runner watches folders.
      args: ['--import', 'tsx', '--import', ORPHAN_GUARD, path.posix.join('services', name, 'src', 'main.ts')],
      watch: [path.posix.join('services', name, 'src'), SHARED_SOURCE],
      env,
    };
  });
}

/** The plan as printed by --dry-run. */
export function formatDevPlan(plan: readonly DevProcess[]): string {
  const lines = [`npm run dev would start ${plan.length} service${plan.length === 1 ? '' : 's'} (leaf services first), each restarted when a source file under its folders is saved:`, ''];
  for (const p of plan) {
    lines.push(`${p.service}  ${p.url}  (admin ${p.adminUrl})  watching ${p.watch.join(', ')}`);
    lines.push(`  $ ${Object.entries(p.env).map(([k, v]) => `${k}=${v}`).join(' ')} ${formatCommand(p.command, p.args)}`);
  }
  return `${lines.join('\n')}\n`;
}

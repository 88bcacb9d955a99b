// Checks that every port of the plan is free before anything starts, so a busy port is reported
// once, by number and service, instead of as a crash inside one service's log.
import net from 'node:net';
import { FixableError } from '../cli.ts';
import type { DevProcess } from './plan.ts';

export interface BusyPort {
  port: number;
  service: string;
  kind: 'HTTP' | 'admin';
  code: string;
}

/** Resolves with the error code when the port cannot be bound on host, or null when it is free. */
export function probePort(port: number, host: string): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

export async function findBusyPorts(plan: readonly DevProcess[], host: string): Promise<BusyPort[]> {
  const wanted = plan.flatMap((p) => [
    { port: p.port, service: p.service, kind: 'HTTP' as const },
    { port: p.adminPort, service: p.service, kind: 'admin' as const },
  ]);
  const results = await Promise.all(wanted.map(async (w) => ({ ...w, code: await probePort(w.port, host) })));
  return results.filter((r): r is BusyPort => r.code !== null);
}

export function busyPortError(busy: readonly BusyPort[], host: string): FixableError {
  const lines = busy.map((b) => `port ${b.port} (${b.service} ${b.kind === 'admin' ? 'admin API' : 'HTTP'}) is ${b.code === 'EACCES' ? 'not allowed' : 'already in use'} on ${host}`);
  const first = busy[0]!.port;
  return new FixableError(
    `${lines.join('\n')}\nnothing was started.`,
    `find what holds it with \`lsof -iTCP:${first} -sTCP:LISTEN\` (maybe another \`npm run dev\`), stop it, or move every dev port with --port-base <n> (or SHOPMESH_DEV_PORT_BASE).`,
  );
}

/**
 * Ports at or above 1024 that browsers refuse to load (Chromium: ERR_UNSAFE_PORT; Firefox: "This
 * address is restricted"). From the Fetch standard's "bad port" list
 * (https://fetch.spec.whatwg.org/#bad-port), which Chromium (kRestrictedPorts in
 * net/base/port_util.cc) and Firefox (gBadPortList in netwerk/base/nsIOService.cpp) follow. The
 * port base is at least 1024, so the lower entries (22, 25, 110, …) cannot occur.
 */
export const BROWSER_BLOCKED_PORTS: ReadonlyMap<number, string> = new Map([
  [1719, 'h323gatestat'],
  [1720, 'h323hostcall'],
  [1723, 'pptp'],
  [2049, 'nfs'],
  [3659, 'apple-sasl'],
  [4045, 'npp'],
  [4190, 'sieve'],
  [5060, 'sip'],
  [5061, 'sips'],
  [6000, 'x11'],
  [6566, 'sane-port'],
  [6665, 'ircu'],
  [6666, 'ircu'],
  [6667, 'ircu'],
  [6668, 'ircu'],
  [6669, 'ircu'],
  [6679, 'osaut'],
  [6697, 'ircs-u'],
  [10080, 'amanda'],
]);

export interface BlockedPort {
  port: number;
  service: string;
  kind: 'HTTP' | 'admin';
  protocol: string;
}

/** The plan's ports that a browser would refuse to open. */
export function findBrowserBlockedPorts(plan: readonly Pick<DevProcess, 'service' | 'port' | 'adminPort'>[]): BlockedPort[] {
  return plan.flatMap((p) =>
    (
      [
        [p.port, 'HTTP'],
        [p.adminPort, 'admin'],
      ] as const
    ).flatMap(([port, kind]) => {
      const protocol = BROWSER_BLOCKED_PORTS.get(port);
      return protocol ? [{ port, service: p.service, kind, protocol }] : [];
    }),
  ).sort((a, b) => a.port - b.port);
}

/**
 * The first port base from `from` on (in steps of `step`) whose whole block (the offsets of every
 * port the plan uses, relative to the base) avoids the browser-blocked ports; undefined past `max`.
 */
export function nextSafePortBase(from: number, offsets: readonly number[], step = 1, max = 65_000): number | undefined {
  for (let base = from; base + Math.max(0, ...offsets) <= 65_535 && base <= max; base += step) {
    if (offsets.every((o) => !BROWSER_BLOCKED_PORTS.has(base + o))) return base;
  }
  return undefined;
}

export function browserBlockedPortError(blocked: readonly BlockedPort[], base: number, offsets: readonly number[]): FixableError {
  const lines = blocked.map((b) => `port ${b.port} (${b.service} ${b.kind === 'admin' ? 'admin API' : 'HTTP'}) is one browsers refuse to open (${b.protocol}; Chrome shows ERR_UNSAFE_PORT)`);
  // A round suggestion: the next hundred whose block is clear.
  const suggestion = nextSafePortBase(Math.floor(base / 100) * 100 + 100, offsets, 100);
  return new FixableError(
    `${lines.join('\n')}\nnothing was started.`,
    suggestion === undefined ? 'choose a lower --port-base (or SHOPMESH_DEV_PORT_BASE).' : `choose another --port-base (or SHOPMESH_DEV_PORT_BASE), e.g. --port-base ${suggestion}.`,
  );
}

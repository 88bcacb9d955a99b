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

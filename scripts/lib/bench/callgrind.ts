// Instructions per request, counted by valgrind's callgrind: a figure that does not move with the
// machine's load, unlike req/s and CPU time. The server runs under callgrind, is warmed up, the
// counters are zeroed (callgrind_control -z), and windows of a known number of requests are each
// dumped (callgrind_control -d). The warm-up must be long: V8 tiers the request path up over
// thousands of requests, and a count taken before that is the interpreter's (about 1.6× higher).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startProcess } from '../../../test/support/harness.ts';
import { runCount } from './loadgen.ts';
import { commandWorks } from './machine.ts';

const run = promisify(execFile);

/** True when valgrind with callgrind and callgrind_control can be run here. */
export function callgrindAvailable(): boolean {
  return commandWorks('valgrind', ['--version'], { exitZero: true }) && commandWorks('callgrind_control', ['-h'], { exitZero: true });
}

/** The instruction total (first event, Ir) of a callgrind dump; throws when the dump has none. */
export function parseCallgrindTotals(text: string): number {
  const match = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
  if (!match) throw new Error('no totals or summary line in the callgrind dump');
  return Number(match[1]);
}

/** Runs callgrind_control; its exit code is 0 even when vgdb failed, so its stderr is read too. */
async function control(action: '-z' | '-d', pid: number, vgdbPrefix: string, env: Record<string, string>): Promise<void> {
  const { stdout, stderr } = await run('callgrind_control', [`--vgdb-prefix=${vgdbPrefix}`, action, String(pid)], { timeout: 60_000, env });
  if (/error|failed/i.test(stderr) || !/OK/.test(stdout)) throw new Error(`callgrind_control ${action} ${pid} failed: ${(stderr || stdout).trim()}`);
}

/** The newest numbered dump (`<prefix>.<n>`) in `dir`. */
export function newestDump(names: readonly string[], prefix: string): string | undefined {
  let best: { name: string; n: number } | undefined;
  for (const name of names) {
    if (!name.startsWith(`${prefix}.`)) continue;
    const n = Number(name.slice(prefix.length + 1));
    if (Number.isInteger(n) && (best === undefined || n > best.n)) best = { name, n };
  }
  return best?.name;
}

export interface InstructionCountOptions {
  label: string;
  bundle: string;
  env: Record<string, string>;
  path: string;
  outDir: string;
  warmupRequests: number;
  /** Requests per window. */
  requests: number;
  windows: number;
}

/** Instructions (all threads of the process: JS, GC, libuv) per request of `path` in each window, after a warm-up. */
export async function instructionsPerRequest(options: InstructionCountOptions): Promise<number[]> {
  // valgrind and vgdb name their pipes from the prefix, USER and HOST (the services' listen address,
  // here): both sides get the same prefix and environment, or vgdb finds nothing.
  const vgdbPrefix = path.join(options.outDir, 'vgdb-pipe');
  const serverEnv = { ...options.env, PORT: '0', ADMIN_PORT: '0' };
  const proc = await startProcess(`${options.label} under callgrind`, {
    command: 'valgrind',
    args: ['--tool=callgrind', '--quiet', `--vgdb-prefix=${vgdbPrefix}`, `--callgrind-out-file=${path.join(options.outDir, 'callgrind.%p.out')}`, '--dump-line=no', '--dump-instr=no', process.execPath, options.bundle],
    env: serverEnv,
    readyTimeoutMs: 180_000,
    captureLogs: false,
  });
  try {
    const pid = proc.child.pid!;
    const origin = `http://127.0.0.1:${proc.port}`;
    // One request at a time: each event-loop turn then does the same work, whatever the machine's speed.
    const load = (requests: number) => runCount({ origin, path: options.path, requests, concurrency: 1, timeoutMs: 60_000 });
    const warm = await load(options.warmupRequests);
    if (warm.ok !== options.warmupRequests) throw new Error(`${options.label} under callgrind answered ${warm.ok} of ${options.warmupRequests} warm-up requests with 2xx`);
    // Several equal windows, each dumped (a dump also zeroes): their spread shows how much a major GC
    // falling in one window moves the count.
    await control('-z', pid, vgdbPrefix, serverEnv);
    const perWindow: number[] = [];
    for (let w = 0; w < options.windows; w++) {
      const measured = await load(options.requests);
      if (measured.ok !== options.requests) throw new Error(`${options.label} under callgrind answered ${measured.ok} of ${options.requests} requests with 2xx`);
      await control('-d', pid, vgdbPrefix, serverEnv);
      const dump = newestDump(readdirSync(options.outDir), `callgrind.${pid}.out`);
      if (!dump) throw new Error(`callgrind wrote no dump for ${options.label} in ${options.outDir}`);
      perWindow.push(parseCallgrindTotals(readFileSync(path.join(options.outDir, dump), 'utf8')) / options.requests);
    }
    return perWindow;
  } finally {
    await proc.stop('SIGTERM', 30_000);
  }
}

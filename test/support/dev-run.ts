// Test helper: runs `npm run dev` (through npm, or dev.ts directly) as a real process tree in its own
// process group, reads its output, lists the processes it spawned, and kills whatever is left when
// the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probePort } from '../../scripts/lib/dev/ports.ts';
import { BROWSER_BLOCKED_PORTS } from '../../scripts/lib/dev/ports.ts';
import { readProcStat } from '../../scripts/lib/procfs.ts';
import { repoRoot } from '../../scripts/lib/versions.ts';

/** A process that exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Every live descendant of pid, found by walking /proc's parent links. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.state !== 'Z') parentOf.set(Number(entry), stat.ppid);
  }
  const found: number[] = [];
  let frontier = [pid];
  // Each round goes one generation down; a process tree here is a handful of levels deep.
  for (let depth = 0; depth < 16 && frontier.length > 0; depth++) {
    frontier = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([child]) => child);
    found.push(...frontier);
  }
  return found;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** Waits (bounded) until check() is true; returns whether it became true. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(stepMs);
  }
  return check();
}

/** A random port base whose block (base + each offset) is free on 127.0.0.1 and not browser-blocked. */
export async function freePortBase(offsets: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    if (offsets.some((o) => BROWSER_BLOCKED_PORTS.has(base + o))) continue;
    const codes = await Promise.all(offsets.map((o) => probePort(base + o, '127.0.0.1')));
    if (codes.every((c) => c === null)) return base;
  }
  throw new Error('found no free port block in 20 tries');
}

/** True when nothing listens on any of the ports any more. */
export async function portsClosed(ports: readonly number[]): Promise<boolean> {
  const codes = await Promise.all(ports.map((p) => probePort(p, '127.0.0.1')));
  return codes.every((c) => c === null);
}

export interface DevRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves when stdout and stderr have closed: every process of the run is gone and all it wrote is read. */
  closed: Promise<void>;
  /** Records the current process tree under the run, so the cleanup can find every process of it. */
  tree: () => number[];
}

export interface DevRunOptions {
  args: readonly string[];
  /** Through `npm run dev` (npm → sh → node dev.ts), or dev.ts under node directly. */
  viaNpm?: boolean;
  cwd?: string;
  env?: Record<string, string>;
}

export function startDev(options: DevRunOptions, t: { after: (fn: () => unknown) => void }): DevRun {
  const cwd = options.cwd ?? repoRoot;
  // npm's `#!/usr/bin/env node` must find this Node, not an older one on PATH.
  const env = { ...process.env, NO_COLOR: '1', PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, ...options.env };
  const [command, args] = options.viaNpm
    ? ['npm', ['run', '--silent', 'dev', '--', ...options.args]]
    : [process.execPath, ['--import', 'tsx', 'scripts/dev.ts', ...options.args]];
  const child = spawn(command as string, args as string[], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let both = '';
  child.stdout!.on('data', (c: Buffer) => ((stdout += c.toString()), (both += c.toString())));
  child.stderr!.on('data', (c: Buffer) => ((stderr += c.toString()), (both += c.toString())));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Every writer of the pipes is gone and everything they wrote has been read.
  const closed = Promise.all([new Promise((r) => child.stdout!.once('close', r)), new Promise((r) => child.stderr!.once('close', r))]).then(() => undefined);
  const seen = new Map<number, string>();
  const tree = () => {
    const pids = child.pid === undefined ? [] : descendants(child.pid);
    for (const pid of pids) seen.set(pid, readProcStat(pid)?.start ?? '');
    return pids;
  };
  t.after(async () => {
    tree();
    const running = child.exitCode === null && child.signalCode === null;
    const targets = [...(running ? [child.pid!] : []), ...seen.keys()];
    const ownGroup = readProcStat(process.pid)?.pgid;
    for (const pid of targets) {
      const stat = readProcStat(pid);
      // Only the same process (same start time), never a pid reused since.
      if (!stat || stat.state === 'Z' || (seen.has(pid) && seen.get(pid) !== stat.start)) continue;
      for (const target of stat.pgid === ownGroup ? [pid] : [-stat.pgid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone, or a group that is not ours any more
        }
      }
    }
    if (child.exitCode === null && child.signalCode === null) await Promise.race([exited, sleep(5_000, undefined, { ref: false })]);
  });
  return { child, stdout: () => stdout, stderr: () => stderr, output: () => both, exited, closed, tree };
}

/** Waits (bounded) for the pattern in the run's output; fails with the output when it does not come. */
export async function waitForOutput(run: DevRun, pattern: RegExp, timeoutMs: number): Promise<void> {
  const ok = await waitUntil(() => pattern.test(run.output()) || run.child.exitCode !== null, timeoutMs);
  if (!ok || !pattern.test(run.output())) throw new Error(`npm run dev did not print ${pattern} within ${timeoutMs} ms:\n${run.output()}`);
}

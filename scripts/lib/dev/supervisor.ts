// Runs the dev plan: one watcher process per service, each in its own process group so that a stop
// takes down the watcher and the service it runs, with SIGKILL after a bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevProcess } from './plan.ts';
import type { Prefixer } from './logs.ts';

export interface SupervisorOptions {
  plan: readonly DevProcess[];
  cwd: string;
  prefixer: Prefixer;
  write: (line: string) => void;
  inheritedEnv?: Readonly<Record<string, string | undefined>>;
  /** After this long, the services not yet listening are named in a warning (they keep running). */
  readyWarningMs?: number;
  /** Bound on the wait after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

export interface Supervisor {
  /** Resolves when every service printed its listening line. */
  ready: Promise<void>;
  /** Resolves with the reason once everything has stopped. */
  done: Promise<{ reason: 'stopped' | 'watcher-exited'; service?: string }>;
  /** Stops every process group (SIGTERM, then SIGKILL after the bound). Safe to call twice. */
  stop(force?: boolean): Promise<void>;
  pids(): number[];
}

/** True while a live (non-zombie) process is in the process group. */
export function groupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // No /proc (macOS): signal 0 to the group tells whether any member exists.
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, fields[2] the process group.
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // exited while we looked
    }
  }
  return false;
}

/** Waits (bounded) until every process group is empty; true when they all emptied in time. */
async function waitForGroups(pgids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pgids.some(groupAlive)) return true;
    await sleep(50);
  }
  return !pgids.some(groupAlive);
}

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const { plan, prefixer, write } = options;
  const stopTimeoutMs = options.stopTimeoutMs ?? 8_000;
  const children = new Map<string, ChildProcess>();
  const exits = new Map<string, Promise<void>>();
  const listening = new Set<string>();
  let stopping: Promise<void> | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  let resolveDone!: (v: { reason: 'stopped' | 'watcher-exited'; service?: string }) => void;
  const done = new Promise<{ reason: 'stopped' | 'watcher-exited'; service?: string }>((r) => (resolveDone = r));

  /**
   * SIGTERM goes to each watcher only: node --watch forwards it to the service and waits for its drain
   * (a second SIGTERM straight to the service would cut the drain short). SIGKILL goes to the whole
   * group, so a service cannot outlive its watcher.
   */
  const killAll = (signal: NodeJS.Signals) => {
    for (const child of children.values()) {
      if (child.pid === undefined) continue;
      try {
        process.kill(signal === 'SIGKILL' ? -child.pid : child.pid, signal);
      } catch {
        // gone already
      }
    }
  };
  const onProcessExit = () => killAll('SIGKILL');
  process.on('exit', onProcessExit);

  for (const p of plan) {
    const child = spawn(p.command, p.args, {
      cwd: options.cwd,
      env: { ...options.inheritedEnv, ...p.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.set(p.service, child);
    exits.set(
      p.service,
      new Promise<void>((resolve) =>
        child.once('close', (code, signal) => {
          resolve();
          if (!stopping) {
            write(prefixer.note(`${p.service}'s watcher exited (code ${code}, signal ${signal}); stopping everything.`));
            void shutdown({ reason: 'watcher-exited', service: p.service });
          }
        }),
      ),
    );
    child.once('error', (err) => write(prefixer.note(`${p.service} could not start: ${err.message}`)));
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      write(prefixer.format(p.service, line));
      if (line.includes('"msg":"listening"') && !listening.has(p.service)) {
        listening.add(p.service);
        if (listening.size === plan.length) resolveReady();
      }
    });
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => write(prefixer.format(p.service, line, 'stderr')));
  }

  const warnTimer = setTimeout(() => {
    const missing = plan.filter((p) => !listening.has(p.service)).map((p) => p.service);
    if (missing.length > 0) write(prefixer.note(`still waiting for ${missing.join(', ')} to listen; see their log lines above (the watcher restarts them on the next save).`));
  }, options.readyWarningMs ?? 30_000);
  warnTimer.unref();

  function stop(force = false): Promise<void> {
    if (force) killAll('SIGKILL');
    return shutdown({ reason: 'stopped' });
  }

  async function shutdown(result: { reason: 'stopped' | 'watcher-exited'; service?: string }): Promise<void> {
    if (stopping) return stopping;
    clearTimeout(warnTimer);
    stopping = (async () => {
      killAll('SIGTERM');
      // Wait for the whole group, not just the watcher: the service drains after its watcher may have gone.
      const pgids = [...children.values()].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
      const clean = await waitForGroups(pgids, stopTimeoutMs);
      if (!clean) {
        write(prefixer.note(`some services did not stop within ${stopTimeoutMs} ms; killing them.`));
        killAll('SIGKILL');
        await waitForGroups(pgids, 3_000);
      }
      await Promise.race([Promise.all(exits.values()), sleep(3_000, undefined, { ref: false })]);
      process.off('exit', onProcessExit);
    })();
    await stopping;
    resolveDone(result);
  }

  return {
    ready,
    done,
    stop,
    pids: () => [...children.values()].flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
  };
}

// Runs the dev plan: one watcher process per service, each in its own process group so that a stop
// takes down the watcher and the service it runs, with SIGKILL after a bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
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

  const killAll = (signal: NodeJS.Signals) => {
    for (const child of children.values()) {
      // The group, not just the watcher: the service it runs shares the group and may outlive it.
      if (child.pid === undefined) continue;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
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
      const all = Promise.all(exits.values());
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), stopTimeoutMs)))]);
      clearTimeout(timer);
      // SIGKILL the groups in every case: a service the watcher had started must not outlive it.
      killAll('SIGKILL');
      if (timedOut) {
        write(prefixer.note(`some services did not stop within ${stopTimeoutMs} ms; killed.`));
        await Promise.race([all, new Promise((r) => setTimeout(r, 3_000).unref())]);
      }
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

// Runs the dev plan: each service as a plain node process in its own process group (so a terminal's
// Ctrl-C reaches only the runner, which stops each service exactly once), restarted when a source
// file under its folders is saved, and stopped with SIGTERM, then SIGKILL after a bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { readProcStat } from '../procfs.ts';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevProcess } from './plan.ts';
import { LaunchedContent, sourceFilesUnder } from './saved-content.ts';
import { watchSources, type SourceWatcher } from './watch.ts';

export type Stream = 'stdout' | 'stderr';

export interface SupervisorOptions {
  plan: readonly DevProcess[];
  cwd: string;
  /** A line a service printed. */
  onLine: (service: string, line: string, stream: Stream) => void;
  /** A line from the runner itself. */
  note: (line: string) => void;
  inheritedEnv?: Readonly<Record<string, string | undefined>>;
  /** After this long, the services not yet answering are named in a warning (they keep running). */
  readyWarningMs?: number;
  /** Bound on the wait after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** A service ended without being asked to (a signal, or exit code 0 after its own signal handler). */
  onStoppedFromOutside?: (service: string, how: string) => void;
}

export interface Supervisor {
  /** Resolves when every service answers HTTP on both its ports. */
  ready: Promise<void>;
  /** Resolves once everything has stopped. */
  done: Promise<void>;
  /** Stops every service (SIGTERM, then SIGKILL after the bound); force sends SIGKILL now. Safe to call again. */
  stop(force?: boolean): Promise<void>;
  /** Pids of the running service processes. */
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
    const stat = readProcStat(Number(entry)); // undefined when it exited while we looked
    if (stat && stat.pgid === pgid && stat.state !== 'Z') return true;
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

/** Resolves true once the URL answers HTTP at all (any status), false after the deadline. */
export async function waitForHttp(url: string, timeoutMs: number, cancelled: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    const answered = await new Promise<boolean>((resolve) => {
      const req = http.get(url, { agent: false, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (answered) return true;
    await sleep(100);
  }
  return false;
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals, wholeGroup: boolean): void {
  if (pid === undefined) return;
  try {
    process.kill(wholeGroup ? -pid : pid, signal);
  } catch {
    // gone already
  }
}

interface Running {
  plan: DevProcess;
  child?: ChildProcess;
  exited?: Promise<void>;
  restarting: boolean;
  /** The content the current (or starting) process was launched from. */
  launchedFrom?: LaunchedContent;
  /** Files saved since the last launch (some may be gone, so the folder scan would not list them). */
  savedSinceLaunch: Set<string>;
  /** When the save that the pending restart is for happened. */
  savedAt?: number;
  /** Bumped on every start, so a late readiness probe of an old process is ignored. */
  generation: number;
  answeredOnce: boolean;
}

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const { plan, note, onLine } = options;
  const stopTimeoutMs = options.stopTimeoutMs ?? 8_000;
  const services = new Map<string, Running>(plan.map((p) => [p.service, { plan: p, restarting: false, savedSinceLaunch: new Set<string>(), generation: 0, answeredOnce: false }]));
  let stopping: Promise<void> | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const livePids = () => [...services.values()].flatMap((s) => (s.child?.pid !== undefined && s.child.exitCode === null && s.child.signalCode === null ? [s.child.pid] : []));
  // Last resort if this process exits without stopping them (an uncaught error): no service outlives it.
  const onProcessExit = () => {
    for (const pid of livePids()) signalGroup(pid, 'SIGKILL', true);
  };
  process.on('exit', onProcessExit);

  const whenAnswering = async (s: Running, generation: number, restartedAt?: number) => {
    const current = () => stopping !== undefined || s.generation !== generation;
    const ok = (await waitForHttp(`${s.plan.url}/healthz`, 15_000, current)) && (await waitForHttp(`${s.plan.adminUrl}/`, 5_000, current));
    if (current()) return;
    if (!ok) {
      note(`${s.plan.service} printed its listening line but does not answer on ${s.plan.url}; see its lines above.`);
      return;
    }
    if (restartedAt !== undefined) note(`${s.plan.service} is serving the new code (${Date.now() - restartedAt} ms after the save)`);
    if (!s.answeredOnce) {
      s.answeredOnce = true;
      if ([...services.values()].every((x) => x.answeredOnce)) resolveReady();
    }
  };

  function launch(s: Running, restartedAt?: number): void {
    const p = s.plan;
    const generation = ++s.generation;
    // Before the spawn: the process reads its files after this moment.
    const launchedFrom = new LaunchedContent(new Set([...sourceFilesUnder(p.watch.map((d) => path.resolve(options.cwd, d))), ...s.savedSinceLaunch]));
    s.launchedFrom = launchedFrom;
    s.savedSinceLaunch.clear();
    const child = spawn(p.command, p.args, {
      cwd: options.cwd,
      env: { ...options.inheritedEnv, ...p.env, SHOPMESH_DEV_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    s.child = child;
    s.exited = new Promise<void>((resolve) =>
      child.once('close', (code, signal) => {
        resolve();
        if (stopping || s.generation !== generation) return;
        if (s.restarting) {
          s.restarting = false;
          launch(s, s.savedAt);
          return;
        }
        // A crash (non-zero code) waits for the fix to be saved; a stop someone else asked for is taken for all.
        if (signal !== null || code === 0) {
          options.onStoppedFromOutside?.(p.service, signal ? `signal ${signal}` : 'exit code 0');
          return;
        }
        note(`${p.service} exited (code ${code}); it starts again on the next save.`);
      }),
    );
    child.once('error', (err) => note(`${p.service} could not start: ${err.message}`));
    let listened = false;
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      onLine(p.service, line, 'stdout');
      if (!listened && line.includes('"msg":"listening"')) {
        listened = true;
        launchedFrom.markLoaded();
        void whenAnswering(s, generation, restartedAt);
      }
    });
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => onLine(p.service, line, 'stderr'));
  }

  async function restart(s: Running, files: readonly string[]): Promise<void> {
    if (stopping) return;
    for (const f of files) s.savedSinceLaunch.add(f);
    // Already on its way down: the new process starts from the files as they are then, so this
    // save is in the restart under way and gets no note of its own.
    if (s.restarting) {
      s.savedAt = Date.now();
      return;
    }
    const child = s.child;
    const running = child !== undefined && child.exitCode === null && child.signalCode === null;
    // A stopped or crashed service starts on any save, even of the same bytes: that is how to retry it.
    const changed = running && s.launchedFrom ? s.launchedFrom.differing(files) : files;
    if (changed.length === 0) return; // the bytes it was launched from: nothing to restart for
    s.savedAt = Date.now();
    const shown = changed.map((f) => path.relative(options.cwd, f)).slice(0, 3).join(', ');
    note(`${s.plan.service}: ${shown}${changed.length > 3 ? ', …' : ''} changed; restarting`);
    if (!running) {
      launch(s, s.savedAt);
      return;
    }
    s.restarting = true;
    const exited = s.exited;
    signalGroup(child.pid, 'SIGTERM', false);
    const gone = await Promise.race([exited!.then(() => true), sleep(stopTimeoutMs, false, { ref: false })]);
    if (!gone && !stopping) {
      note(`${s.plan.service} did not stop within ${stopTimeoutMs} ms; killing it.`);
      signalGroup(child.pid, 'SIGKILL', true);
    }
  }

  const servicesByDir = new Map<string, Running[]>();
  for (const s of services.values()) {
    for (const dir of s.plan.watch) {
      const abs = path.resolve(options.cwd, dir);
      servicesByDir.set(abs, [...(servicesByDir.get(abs) ?? []), s]);
    }
  }
  const watcher: SourceWatcher = watchSources({
    dirs: [...servicesByDir.keys()],
    onChange: (files) => {
      const hit = new Map<Running, string[]>();
      for (const file of files) {
        for (const [dir, list] of servicesByDir) {
          if (!file.startsWith(dir + path.sep)) continue;
          for (const s of list) hit.set(s, [...(hit.get(s) ?? []), file]);
        }
      }
      for (const [s, changed] of hit) void restart(s, changed);
    },
    onError: (error, dir) => note(`watching ${path.relative(options.cwd, dir)} failed (${error.message}); saves there no longer restart anything.`),
  });

  for (const s of services.values()) launch(s);

  const warnTimer = setTimeout(() => {
    const missing = [...services.values()].filter((s) => !s.answeredOnce).map((s) => s.plan.service);
    if (missing.length > 0) note(`still waiting for ${missing.join(', ')} to answer; see their lines above (a save restarts them).`);
  }, options.readyWarningMs ?? 30_000);
  warnTimer.unref();

  function stop(force = false): Promise<void> {
    if (force) for (const pid of livePids()) signalGroup(pid, 'SIGKILL', true);
    if (stopping) return stopping;
    clearTimeout(warnTimer);
    watcher.close();
    // Every process group this run created, so a service's own children are waited for too.
    const pgids = [...services.values()].flatMap((s) => (s.child?.pid === undefined ? [] : [s.child.pid]));
    stopping = (async () => {
      // One SIGTERM per service: a second one would cut its drain short.
      if (!force) for (const pid of livePids()) signalGroup(pid, 'SIGTERM', false);
      const clean = await waitForGroups(pgids, stopTimeoutMs);
      if (!clean) {
        note(`some services did not stop within ${stopTimeoutMs} ms; killing them.`);
        for (const pgid of pgids) signalGroup(pgid, 'SIGKILL', true);
        await waitForGroups(pgids, 3_000);
      }
      await Promise.race([Promise.all([...services.values()].map((s) => s.exited)), sleep(3_000, undefined, { ref: false })]);
      process.off('exit', onProcessExit);
      resolveDone();
    })();
    return stopping;
  }

  return { ready, done, stop, pids: livePids };
}

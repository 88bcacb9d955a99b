// Lets `npm run dev` notice that a process above it died. Under npm the chain is npm → sh →
// dev.ts: a SIGTERM to npm kills sh, and a SIGHUP or SIGKILL to any of them is not passed on, so
// dev.ts would run on (with every service) under init. It watches its ancestors in its own process
// group (the job the shell started: npm and everything npm spawned, not the shell itself) and stops
// when one of them is gone.
import { readFileSync } from 'node:fs';
import { readProcStat as readStat } from '../procfs.ts';

interface Ancestor {
  pid: number;
  /** The program's name, for the message. */
  name: string;
  /** Start time in clock ticks, so a reused pid is not taken for the same process. */
  start: string;
}

function readName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'process';
  }
}

/** This process's ancestors in its own process group, nearest first (empty without /proc). */
export function ancestorsInGroup(pid = process.pid): Ancestor[] {
  const self = readStat(pid);
  if (!self) return [];
  const found: Ancestor[] = [];
  let next = self.ppid;
  // A chain of processes is short; the bound only guards against a corrupt /proc read.
  for (let depth = 0; depth < 64 && next > 1; depth++) {
    const stat = readStat(next);
    if (!stat || stat.pgid !== self.pgid) break;
    found.push({ pid: next, name: readName(next), start: stat.start });
    next = stat.ppid;
  }
  return found;
}

function alive(a: Ancestor): boolean {
  const stat = readStat(a.pid);
  return stat !== undefined && stat.start === a.start && stat.state !== 'Z';
}

/**
 * Calls onLost once, with a description, when the parent changes or an ancestor in the process group
 * exits. Returns a function that stops watching.
 */
export function watchLineage(onLost: (what: string) => void, pollMs = 250): () => void {
  const parent = process.ppid;
  const ancestors = ancestorsInGroup();
  const timer = setInterval(() => {
    let what: string | undefined;
    if (process.ppid !== parent) what = `the parent process (pid ${parent}) exited`;
    else {
      const gone = ancestors.find((a) => !alive(a));
      if (gone) what = `${gone.name} (pid ${gone.pid}), which started this run, exited`;
    }
    if (what) {
      clearInterval(timer);
      onLost(what);
    }
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}

// What the figures were measured on: the commit (and whether the measured code had uncommitted
// changes), the CPU, the Node version and the machine's load, printed beside every run.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { repoRoot } from '../versions.ts';

/** The paths whose code the benchmark measures. */
export const MEASURED_PATHS = ['services/*/src', 'scripts/lib/bench', 'scripts/bench.ts', 'package-lock.json'] as const;

export interface Machine {
  commit: string;
  /** Measured paths with uncommitted changes (empty when the figures are the commit's). */
  dirty: string[];
  cpu: string;
  cpus: number;
  node: string;
  memoryGb: number;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** Paths out of `git status --porcelain` output. */
export function parsePorcelain(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.length > 3)
    .map((l) => l.slice(3));
}

export function describeMachine(): Machine {
  let memoryGb = Number.NaN;
  try {
    const kb = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb) memoryGb = Number(kb) / 1024 / 1024;
  } catch {
    // not Linux
  }
  return {
    commit: git(['rev-parse', '--short=10', 'HEAD']).trim() || 'unknown',
    dirty: parsePorcelain(git(['status', '--porcelain', '--untracked-files=no', '--', ...MEASURED_PATHS])),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cpus: availableParallelism(),
    node: process.version,
    memoryGb,
  };
}

/** The 1-, 5- and 15-minute load averages. */
export function loadAverages(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a ?? Number.NaN, b ?? Number.NaN, c ?? Number.NaN];
}

export function machineLine(m: Machine): string {
  const code = m.dirty.length === 0 ? `commit ${m.commit}` : `commit ${m.commit} + uncommitted changes in ${m.dirty.join(', ')}`;
  return `${code}; ${m.cpus} CPUs (${m.cpu}), ${Number.isFinite(m.memoryGb) ? `${m.memoryGb.toFixed(1)} GB, ` : ''}Node ${m.node}`;
}

/**
 * Whether `command` runs here (found on PATH and executable); with `exitZero`, also that it exits 0
 * (some tools, wrk among them, exit non-zero after printing their version).
 */
export function commandWorks(command: string, args: readonly string[] = ['--version'], opts: { exitZero?: boolean } = {}): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && (!opts.exitZero || r.status === 0);
}

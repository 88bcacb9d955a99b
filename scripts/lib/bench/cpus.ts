// Where the benchmark's processes run. On a 2-core machine a load generator that shares the cores with
// the servers decides a round's figure by where the scheduler puts it, so consecutive runs disagree.
// With taskset, the servers under test get one CPU and the load generator (this process, and wrk
// when it is used) the other: every side is measured under the same split.
import { execFileSync } from 'node:child_process';

export interface CpuPlan {
  /** The CPU the servers run on; undefined when nothing is pinned. */
  serverCpu?: number;
  /** The CPU this process and its load generator run on. */
  loadCpu?: number;
  /** One line for the report: what was pinned, or why not. */
  note: string;
}

/** Decides the split from what the machine offers; pure, so the cases are tested. */
export function planCpus(opts: { allowedCpus: readonly number[]; hasTaskset: boolean; disabled: boolean }): CpuPlan {
  if (opts.disabled) return { note: 'not pinned (--no-pin): servers and load generator share every CPU' };
  if (!opts.hasTaskset) return { note: 'not pinned: taskset (util-linux) is not installed, so servers and load generator share the CPUs' };
  if (opts.allowedCpus.length < 2) return { note: `not pinned: only ${opts.allowedCpus.length} CPU is available to this process` };
  const [loadCpu, serverCpu] = opts.allowedCpus as [number, number];
  return { loadCpu, serverCpu, note: `servers pinned to CPU ${serverCpu}, load generator to CPU ${loadCpu} (taskset)` };
}

/** The CPUs this process may run on, from `taskset -p` (a hex mask); undefined when it cannot tell. */
export function parseAffinityMask(output: string): number[] | undefined {
  const hex = /:\s*([0-9a-f,]+)\s*$/i.exec(output.trim())?.[1]?.replace(/,/g, '');
  if (!hex) return undefined;
  const cpus: number[] = [];
  const bits = BigInt(`0x${hex}`);
  // Bounded by the mask's width: at most 4 bits per hex digit.
  for (let cpu = 0; cpu < hex.length * 4; cpu++) if ((bits >> BigInt(cpu)) & 1n) cpus.push(cpu);
  return cpus;
}

export function allowedCpus(pid = process.pid): number[] {
  try {
    return parseAffinityMask(execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) ?? [];
  } catch {
    return [];
  }
}

/** The command line that runs `command` on the plan's server CPU (unchanged when nothing is pinned). */
export function onServerCpu(plan: CpuPlan, command: string, args: readonly string[]): { command: string; args: string[] } {
  return plan.serverCpu === undefined ? { command, args: [...args] } : { command: 'taskset', args: ['-c', String(plan.serverCpu), command, ...args] };
}

/**
 * Moves every thread of this process to the load CPU (children started later inherit it) and returns
 * how to put the old affinity back.
 */
export function pinThisProcess(plan: CpuPlan): () => void {
  if (plan.loadCpu === undefined) return () => {};
  const before = allowedCpus();
  execFileSync('taskset', ['-a', '-p', '-c', String(plan.loadCpu), String(process.pid)], { stdio: 'ignore' });
  return () => {
    if (before.length) execFileSync('taskset', ['-a', '-p', '-c', before.join(','), String(process.pid)], { stdio: 'ignore' });
  };
}

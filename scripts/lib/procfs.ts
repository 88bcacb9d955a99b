// One reading of /proc/<pid>/stat (Linux) for the dev runner, its tests and the benchmark. The command
// name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** Field 3: R, S, D, Z, … */
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22, start time in clock ticks: tells a reused pid from the process that had it. */
  start: string;
}

/** The fields from field 3 (state) on: index i is field i + 3. */
export function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The process's state, parent, group and start time; undefined when it is gone (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    const f = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), start: f[19]! };
  } catch {
    return undefined;
  }
}

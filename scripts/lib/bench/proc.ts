// CPU time and memory of another process, read from /proc (Linux), so the server under test needs no hooks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { statFields } from '../procfs.ts';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Parses utime + stime (clock ticks) out of a /proc/<pid>/stat line; the command name may hold spaces. */
export function parseStatTicks(stat: string): number {
  const rest = statFields(stat);
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 120)}`);
  return utime + stime;
}

/** CPU time (user + system) the process has used, in microseconds. */
export function cpuMicros(pid: number): number {
  return (parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1e6) / clockTicks();
}

/** Reads a kB field (VmRSS, VmHWM) from /proc/<pid>/status text, in MB. */
export function parseStatusMb(status: string, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc status`);
  return Number(match[1]) / 1024;
}

/** Resident memory (VmRSS), its peak, and the private part (RssAnon: heap and stacks, without the shared pages of the node binary). */
export function memoryMb(pid: number): { rss: number; peak: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: parseStatusMb(status, 'VmRSS'), peak: parseStatusMb(status, 'VmHWM'), anon: parseStatusMb(status, 'RssAnon') };
}

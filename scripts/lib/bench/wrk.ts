// wrk (Debian's `wrk` package) as the throughput load generator when it is installed: a C client on
// its own CPU costs a fraction of a Node client per request, so the server under test, not the load
// generator, sets the req/s of every side. Without it the benchmark uses its own undici loop.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  /** Requests completed (any status). */
  requests: number;
  /** wrk's own measured seconds. */
  seconds: number;
  /** Answers outside 2xx/3xx. */
  non2xx: number;
  /** Connect, read, write errors and timeouts. */
  socketErrors: number;
}

/** Reads wrk's summary. Throws when the summary is not there (wrk could not connect, or changed). */
export function parseWrkOutput(text: string): WrkResult {
  const done = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)\b/m.exec(text);
  if (!done) throw new Error(`wrk printed no "N requests in T" summary:\n${text.trim().slice(0, 400)}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[done[3] as 'us' | 'ms' | 's' | 'm'];
  const non2xx = Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1, 5).reduce((sum, v) => sum + Number(v), 0) : 0;
  return { requests: Number(done[1]), seconds: Number(done[2]) * unit, non2xx, socketErrors };
}

/** wrk takes whole seconds; a round is never shorter than asked. */
export const wrkSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** One wrk round: one thread (one CPU), `connections` keep-alive connections, for whole seconds. */
export async function runWrk(options: { url: string; connections: number; durationMs: number }): Promise<WrkResult> {
  const seconds = wrkSeconds(options.durationMs);
  const { stdout } = await run('wrk', ['-t1', `-c${options.connections}`, `-d${seconds}s`, '--timeout', '5s', options.url], { timeout: (seconds + 30) * 1000, encoding: 'utf8' });
  return parseWrkOutput(stdout);
}

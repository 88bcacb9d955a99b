// A small load generator inside the bench process, on undici's keep-alive Pool (the same client
// family the services use). Closed loop for throughput; open loop (fixed arrival rate) for latency,
// with latency counted from each request's scheduled time so a stalled server cannot hide its queue.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export interface LoadResult {
  /** Requests started. */
  sent: number;
  /** Requests answered 2xx. */
  ok: number;
  /** Requests answered with another status. */
  badStatus: number;
  /** Requests that failed without an answer (connection error, timeout). */
  failed: number;
  /** Open loop only: arrivals skipped because maxInFlight requests were already waiting. */
  dropped: number;
  /** Latency of every answered request, ms. */
  latenciesMs: number[];
  /** Wall time of the run, ms (until the last answer). */
  elapsedMs: number;
  statuses: Record<string, number>;
}

export interface LoadOptions {
  origin: string;
  path: string;
  durationMs: number;
  /** Per-request bound. */
  timeoutMs?: number;
  connections?: number;
  headers?: Record<string, string>;
}

function emptyResult(): LoadResult {
  return { sent: 0, ok: 0, badStatus: 0, failed: 0, dropped: 0, latenciesMs: [], elapsedMs: 0, statuses: {} };
}

async function one(pool: Pool, options: Omit<LoadOptions, 'durationMs'>, result: LoadResult, startedAt: number): Promise<void> {
  result.sent++;
  try {
    const res = await pool.request({ method: 'GET', path: options.path, headers: options.headers, signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
    await res.body.dump();
    result.latenciesMs.push(performance.now() - startedAt);
    result.statuses[res.statusCode] = (result.statuses[res.statusCode] ?? 0) + 1;
    if (res.statusCode >= 200 && res.statusCode < 300) result.ok++;
    else result.badStatus++;
  } catch {
    result.failed++;
  }
}

/** `concurrency` workers, each sending its next request when the last is answered, until the duration ends. */
export async function runClosedLoop(options: LoadOptions & { concurrency: number }): Promise<LoadResult> {
  const pool = new Pool(options.origin, { connections: options.connections ?? options.concurrency, pipelining: 1 });
  const result = emptyResult();
  const begin = performance.now();
  const end = begin + options.durationMs;
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        // Bounded by the deadline: every iteration takes at least one request's time, which has a timeout.
        while (performance.now() < end) await one(pool, options, result, performance.now());
      }),
    );
  } finally {
    result.elapsedMs = performance.now() - begin;
    await pool.close();
  }
  return result;
}

/** Starts `rate` requests per second on schedule, whatever the answers do, for the duration. */
export async function runOpenLoop(options: LoadOptions & { rate: number; maxInFlight?: number }): Promise<LoadResult> {
  if (!(options.rate > 0)) throw new Error(`rate must be positive; got ${options.rate}`);
  const pool = new Pool(options.origin, { connections: options.connections ?? 64, pipelining: 1 });
  const result = emptyResult();
  const maxInFlight = options.maxInFlight ?? 2_000;
  const interval = 1000 / options.rate;
  const total = Math.floor((options.durationMs / 1000) * options.rate);
  const inFlight = new Set<Promise<void>>();
  const begin = performance.now();
  let scheduled = 0;
  try {
    // Each turn starts every arrival that is due; the loop ends after `total` arrivals or the duration.
    while (scheduled < total) {
      const now = performance.now();
      if (now - begin > options.durationMs + 10_000) break; // only when the event loop stalls for seconds
      while (scheduled < total && begin + scheduled * interval <= now) {
        const due = begin + scheduled * interval;
        scheduled++;
        if (inFlight.size >= maxInFlight) {
          result.dropped++;
          continue;
        }
        const p = one(pool, options, result, due).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(Math.max(0, Math.min(interval, begin + scheduled * interval - performance.now())));
    }
    await Promise.all(inFlight);
  } finally {
    result.elapsedMs = performance.now() - begin;
    await pool.close();
  }
  return result;
}

/** Exactly `requests` requests over `concurrency` keep-alive connections (instruction counts need a known count, not a duration). */
export async function runCount(options: Omit<LoadOptions, 'durationMs'> & { requests: number; concurrency: number }): Promise<LoadResult> {
  if (!Number.isInteger(options.requests) || options.requests < 1) throw new Error(`requests must be a positive whole number; got ${options.requests}`);
  const pool = new Pool(options.origin, { connections: options.concurrency, pipelining: 1 });
  const result = emptyResult();
  const begin = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        // Bounded: each worker takes the next of `requests` numbers until none are left.
        while (next < options.requests) {
          next++;
          await one(pool, options, result, performance.now());
        }
      }),
    );
  } finally {
    result.elapsedMs = performance.now() - begin;
    await pool.close();
  }
  return result;
}

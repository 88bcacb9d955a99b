// Where a request's time goes: a service runs from source under `node --cpu-prof` while the bench's
// load runs, and the samples taken during the measured window are grouped by what they belong to
// (logging, metrics, propagation, switches, validation, the upstream client, Hono, Node's HTTP…).
// A sample belongs to the innermost frame of project or library code on its stack, so Node internals
// and native code count for the JS that called them (a socket write done by the logger is logging).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startProcess, UNSTARTED_UPSTREAM_URL, type ServiceProcess } from '../../../test/support/harness.ts';
import { repoRoot } from '../versions.ts';
import { runClosedLoop, runOpenLoop } from './loadgen.ts';

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const RULES: readonly [RegExp, string][] = [
  [/services\/shared\/src\/logging\.ts$/, 'logging (request line, stdout write)'],
  [/services\/shared\/src\/metrics\.ts$/, 'metrics'],
  [/services\/shared\/src\/propagation\.ts$/, 'propagation (request id, trace id, forwarded headers)'],
  [/services\/shared\/src\/switches\.ts$/, 'switches'],
  [/services\/shared\/src\/(guards|pagination)\.ts$|node_modules\/zod\//, 'validation (zod)'],
  [/services\/shared\/src\/(service-app|lifecycle)\.ts$/, 'observe middleware (identity headers, timing, route label)'],
  [/services\/shared\/src\/errors\.ts$/, 'error handling'],
  [/services\/shared\/src\/upstream\.ts$|services\/[^/]+\/src\/upstream\//, 'upstream client (node:http Agent; its response parsing counts as Node HTTP)'],
  [/services\/shared\/src\/user-tokens\.ts$|node_modules\/jose\//, 'user tokens'],
  [/services\/shared\/src\/database\.ts$|services\/[^/]+\/src\/store\.ts$/, 'store (node:sqlite)'],
  [/node_modules\/@hono\/node-server\//, '@hono/node-server (Request, response write incl. the socket send)'],
  [/node_modules\/hono\//, 'Hono (router, compose, context, c.json)'],
  [/node_modules\/tsx\//, 'tsx loader (not in the image)'],
  [/services\/[^/]+\/src\//, 'route handlers'],
];

/** The category of a frame of project or library code; undefined for Node internals and native frames. */
export function categorize(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  for (const [pattern, name] of RULES) if (pattern.test(url)) return name;
  return 'other project or library code';
}

const NATIVE: Readonly<Record<string, string>> = {
  '(garbage collector)': 'garbage collection',
  '(program)': 'V8 and native, outside JS',
  '(idle)': 'idle',
};

export interface CategoryCost {
  category: string;
  usPerRequest: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  busyUsPerRequest: number;
  requests: number;
  categories: CategoryCost[];
}

/**
 * Groups the samples inside [fromUs, toUs] (the profile's own clock, µs) by category, per request.
 * Samples with no project or library frame count as "Node HTTP (server, client parsing) and sockets" unless they are
 * GC, idle or V8's own.
 */
export function summarizeProfile(profile: CpuProfile, requests: number, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categoryOf = new Map<number, string>();
  const resolve = (leaf: number): string => {
    const cached = categoryOf.get(leaf);
    if (cached !== undefined) return cached;
    let found: string | undefined;
    for (let id: number | undefined = leaf; id !== undefined && found === undefined; id = parent.get(id)) found = categorize(byId.get(id)!.callFrame.url);
    const name = byId.get(leaf)!.callFrame.functionName;
    const category = found ?? NATIVE[name] ?? 'Node HTTP (server, client parsing) and sockets';
    categoryOf.set(leaf, category);
    return category;
  };
  const totals = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const category = resolve(profile.samples[i]!);
    // A sample's time is the gap to the next one (the profile stores the gap before each sample).
    const us = profile.timeDeltas[i + 1] ?? 0;
    totals.set(category, (totals.get(category) ?? 0) + us);
  }
  if (window && totals.size === 0) throw new Error('no profile sample falls inside the measured window (the profile clock is not the monotonic clock?)');
  totals.delete('idle');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  const per = (us: number) => (requests > 0 ? us / requests : Number.NaN);
  const categories = [...totals]
    .map(([category, us]) => ({ category, usPerRequest: per(us), share: busy > 0 ? us / busy : Number.NaN }))
    .sort((a, b) => b.usPerRequest - a.usPerRequest);
  return { busyUsPerRequest: per(busy), requests, categories };
}

/** The monotonic clock V8's profiler stamps samples with, in µs. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export interface ProfileRunOptions {
  which: 'products' | 'orders';
  outDir: string;
  env: Record<string, string>;
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  rate: number;
}

/** Runs products (closed loop) or orders with its upstreams (open loop) from source under --cpu-prof, and summarises the measured window. */
export async function profileService(options: ProfileRunOptions): Promise<ProfileSummary> {
  const dir = path.join(options.outDir, options.which);
  mkdirSync(dir, { recursive: true });
  const start = (name: string, extra: Record<string, string>, profiled: boolean) =>
    startProcess(`profile ${name}`, {
      command: process.execPath,
      args: [...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'] : []), '--import', 'tsx', path.join(repoRoot, 'services', name, 'src', 'main.ts')],
      env: { ...options.env, ...extra },
      captureLogs: false,
    });
  const procs: ServiceProcess[] = [];
  let window: { fromUs: number; toUs: number };
  let requests: number;
  try {
    const closed = { PAYMENTS_URL: UNSTARTED_UPSTREAM_URL, NOTIFICATIONS_URL: UNSTARTED_UPSTREAM_URL, ORDERS_URL: UNSTARTED_UPSTREAM_URL, USERS_URL: UNSTARTED_UPSTREAM_URL };
    if (options.which === 'products') {
      const products = await start('products', closed, true);
      procs.push(products);
      const load = { origin: `http://127.0.0.1:${products.port}`, path: '/products/101', concurrency: options.concurrency };
      await runClosedLoop({ ...load, durationMs: options.warmupMs });
      const fromUs = nowUs();
      const r = await runClosedLoop({ ...load, durationMs: options.durationMs });
      window = { fromUs, toUs: nowUs() };
      requests = r.ok + r.badStatus;
    } else {
      const users = await start('users', closed, false);
      procs.push(users);
      const products = await start('products', closed, false);
      procs.push(products);
      const orders = await start('orders', { ...closed, USERS_URL: `http://127.0.0.1:${users.port}`, PRODUCTS_URL: `http://127.0.0.1:${products.port}` }, true);
      procs.push(orders);
      const load = { origin: `http://127.0.0.1:${orders.port}`, path: '/orders/5001', rate: options.rate, timeoutMs: 5_000 };
      await runOpenLoop({ ...load, durationMs: options.warmupMs });
      const fromUs = nowUs();
      const r = await runOpenLoop({ ...load, durationMs: options.durationMs });
      window = { fromUs, toUs: nowUs() };
      requests = r.ok + r.badStatus;
    }
  } finally {
    // SIGTERM drains and exits, which is when Node writes the profile.
    for (const p of procs.reverse()) await p.stop('SIGTERM', 10_000);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile was written for ${options.which} in ${dir}`);
  return summarizeProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile, requests, window);
}

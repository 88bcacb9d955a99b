// The benchmark run: the compiled shop (users, products, orders bundled with esbuild, as in the
// image) beside two references with the same routes and upstream client, bare Hono and raw
// node:http, all on 127.0.0.1. Every figure is measured in alternations: each alternation runs one
// round per side (same warm-up, same duration), in a rotating order, so ratios compare rounds taken
// side by side and a busy moment of the machine hits all sides of one alternation alike.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { baseEnvironment, startProcess, UNSTARTED_UPSTREAM_URL, type ServiceProcess } from '../../../test/support/harness.ts';
import { bundleService } from '../images/bundle.ts';
import { repoRoot } from '../versions.ts';
import { callgrindAvailable, instructionsPerRequest } from './callgrind.ts';
import { allowedCpus, onServerCpu, pinThisProcess, planCpus, type CpuPlan } from './cpus.ts';
import { runClosedLoop, runOpenLoop } from './loadgen.ts';
import { commandWorks, loadAverages } from './machine.ts';
import { cpuMicros, memoryMb } from './proc.ts';
import { cpuMicrosPerRequest, interleavePlan, percentile } from './stats.ts';
import { runWrk } from './wrk.ts';

export type SideName = 'shop' | 'hono' | 'raw';
export const SIDES: readonly SideName[] = ['shop', 'hono', 'raw'];
export const SIDE_TITLES: Readonly<Record<SideName, string>> = { shop: 'shop', hono: 'bare Hono', raw: 'node:http' };

export interface BenchNumbers {
  /** Measured part of each round. */
  durationMs: number;
  /** Unmeasured load before each round, the same for every side. */
  warmupMs: number;
  /** Unmeasured fan-out load per side before the first orders round, so the three services' request paths are compiled. */
  ordersWarmupMs: number;
  /** Arrival rate of the orders fan-out, per second. */
  rate: number;
  /** Concurrent connections for the products throughput rounds. */
  concurrency: number;
  /** Rounds per side and figure. */
  alternations: number;
  /** Rounds per side for the orders p99: more and shorter, so the median round is one the machine left alone. */
  ordersAlternations: number;
  /** Measured part of each orders round. */
  ordersDurationMs: number;
  /** Cold starts per side. */
  coldStarts: number;
  /** Whole runs (stacks restarted), compared by the stability verdict. */
  repeat: number;
  /** Products requests counted under callgrind per side; 0 skips the count. */
  callgrindRequests: number;
}

export type LoadGenerator = 'wrk' | 'node';

export interface BenchOptions extends BenchNumbers {
  log: (line: string) => void;
  /** Pin servers and load generator to separate CPUs when taskset allows (default true). */
  pin?: boolean;
  /** The throughput load generator; default: wrk when installed, else this process's undici loop. */
  loadGenerator?: LoadGenerator;
}

export interface ProductsRound {
  rps: number;
  cpuUsPerReq: number;
  errors: number;
}

export interface OrdersRound {
  p50Ms: number;
  p99Ms: number;
  /** Every answered request's latency, ms: the run's p99 is taken over all rounds of a side together. */
  latenciesMs: number[];
  /** Answered 2xx per second. */
  rate: number;
  /** Errors, failures and arrivals dropped because too many were waiting. */
  errors: number;
}

export interface RunResult {
  products: Record<SideName, ProductsRound[]>;
  orders: Record<SideName, OrdersRound[]>;
  coldStartMs: Record<SideName, number[]>;
  /** RSS samples of each service while idle, MB. */
  idleRssMb: Record<SideName, Record<string, number[]>>;
  /** The private part of the same samples (RssAnon), MB. */
  idleAnonMb: Record<SideName, Record<string, number[]>>;
  peakRssMb: Record<SideName, Record<string, number>>;
  /** 1-minute load average when the run began and ended. */
  load: { start: number; end: number };
}

export interface BenchResult {
  runs: RunResult[];
  /** Instructions per products request under callgrind in each window, when counted. */
  instructions: Record<SideName, number[]> | undefined;
  /** Why the instruction count is missing, when it is. */
  instructionsSkipped: string | undefined;
  options: BenchNumbers;
  /** What was pinned to which CPU, or why nothing was. */
  cpuNote: string;
  /** Which load generator measured throughput. */
  loadGenerator: LoadGenerator;
  /** Idle RSS of the smallest servers Node can run, the floor under every side (MB). */
  floorRssMb: FloorRss;
}

/**
 * The floor: an idle node:http server, and the same once the web-standard Request and Response exist
 * (any Hono app on Node needs them; Node builds them on its internal undici, loaded on first use).
 */
export interface FloorRss {
  nodeHttp: number;
  withWebFetch: number;
}

const FLOOR_PROGRAMS: Readonly<Record<keyof FloorRss, string>> = {
  nodeHttp: "require('node:http').createServer().listen(0, '127.0.0.1', () => console.log('ready'));",
  withWebFetch: "void globalThis.Response; require('node:http').createServer().listen(0, '127.0.0.1', () => console.log('ready'));",
};

async function floorRss(cpus: CpuPlan): Promise<FloorRss> {
  const one = async (program: string): Promise<number> => {
    const on = onServerCpu(cpus, process.execPath, ['-e', program]);
    const child = spawn(on.command, on.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a floor server did not start within 10 s')), 10_000);
        child.stdout!.once('data', () => (clearTimeout(timer), resolve()));
        child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`a floor server exited with ${code}`))));
      });
      await sleep(500);
      return memoryMb(child.pid!).rss;
    } finally {
      child.kill('SIGKILL');
    }
  };
  return { nodeHttp: await one(FLOOR_PROGRAMS.nodeHttp), withWebFetch: await one(FLOOR_PROGRAMS.withWebFetch) };
}

export const PRODUCT_PATH = '/products/101';
export const ORDER_PATH = '/orders/5001';
const IDLE_SAMPLES = 5;
/** Measured: after 2 000 warm-up requests the shop's request path was not yet tiered up (1.6× higher). */
const CALLGRIND_WARMUP = 8_000;
const CALLGRIND_WINDOWS = 5;

export function parseBenchNumbers(values: {
  duration?: string;
  warmup?: string;
  rate?: string;
  concurrency?: string;
  alternations?: string;
  'cold-starts'?: string;
  'orders-warmup'?: string;
  'orders-alternations'?: string;
  'orders-duration'?: string;
  repeat?: string;
  callgrind?: string;
}): BenchNumbers {
  const num = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}; got "${value}"`);
    return n;
  };
  const whole = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
    const n = num(name, value, fallback, min, max);
    if (!Number.isInteger(n)) throw new Error(`--${name} must be a whole number; got "${value}"`);
    return n;
  };
  return {
    durationMs: Math.round(num('duration', values.duration, 2, 0.2, 60) * 1000),
    warmupMs: Math.round(num('warmup', values.warmup, 0.5, 0, 30) * 1000),
    ordersWarmupMs: Math.round(num('orders-warmup', values['orders-warmup'], 10, 0, 120) * 1000),
    ordersAlternations: whole('orders-alternations', values['orders-alternations'], 90, 1, 300),
    ordersDurationMs: Math.round(num('orders-duration', values['orders-duration'], 1, 0.2, 60) * 1000),
    rate: num('rate', values.rate, 1000, 1, 20_000),
    concurrency: whole('concurrency', values.concurrency, 32, 1, 1024),
    alternations: whole('alternations', values.alternations, 5, 1, 50),
    coldStarts: whole('cold-starts', values['cold-starts'], 7, 1, 50),
    repeat: whole('repeat', values.repeat, 1, 1, 10),
    callgrindRequests: whole('callgrind', values.callgrind, 200, 0, 100_000),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One GET on a fresh connection; resolves with the status, or 0 when nothing answered. */
function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

async function bundleReference(entry: string, outDir: string): Promise<string> {
  const outFile = path.join(outDir, 'main.mjs');
  await build({
    entryPoints: [path.join(repoRoot, 'scripts', 'lib', 'bench', entry)],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minifySyntax: true,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  });
  return outFile;
}

/** Spawn to first 200 of `probePath` on a fresh port, in ms. */
async function coldStartOnce(cpus: CpuPlan, bundle: string, env: Record<string, string>, probePath: string): Promise<number> {
  const port = await freePort();
  const on = onServerCpu(cpus, process.execPath, [bundle]);
  const began = performance.now();
  const child = spawn(on.command, on.args, { env: { ...env, PORT: String(port), ADMIN_PORT: '0' }, stdio: 'ignore', detached: true });
  try {
    const deadline = began + 15_000;
    // Polls on fresh connections until the first 200, bounded by the deadline.
    while (performance.now() < deadline) {
      if ((await probe(`http://127.0.0.1:${port}${probePath}`)) === 200) return performance.now() - began;
      await sleep(2);
    }
    throw new Error(`${bundle} did not answer 200 on ${probePath} within 15 s`);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
}

interface Stack {
  products: ServiceProcess;
  orders: ServiceProcess;
  all: ServiceProcess[];
}

interface Bundles {
  users: string;
  products: string;
  orders: string;
}

async function startStack(label: string, bundles: Bundles, env: Record<string, string>, cpus: CpuPlan): Promise<Stack> {
  const all: ServiceProcess[] = [];
  const start = async (name: string, file: string, extra: Record<string, string>) => {
    const on = onServerCpu(cpus, process.execPath, [file]);
    const p = await startProcess(`${label} ${name}`, { command: on.command, args: on.args, env: { ...env, ...extra }, captureLogs: false });
    all.push(p);
    return p;
  };
  try {
    const closed = { PAYMENTS_URL: UNSTARTED_UPSTREAM_URL, NOTIFICATIONS_URL: UNSTARTED_UPSTREAM_URL, ORDERS_URL: UNSTARTED_UPSTREAM_URL };
    const [users, products] = await Promise.all([start('users', bundles.users, closed), start('products', bundles.products, closed)]);
    const orders = await start('orders', bundles.orders, {
      ...closed,
      USERS_URL: `http://127.0.0.1:${users.port}`,
      PRODUCTS_URL: `http://127.0.0.1:${products.port}`,
    });
    return { products, orders, all };
  } catch (err) {
    await Promise.all(all.map((p) => p.stop('SIGTERM', 3_000)));
    throw err;
  }
}

const serviceOf = (p: ServiceProcess) => p.name.split(' ')[1]!;

async function idleMemory(stack: Stack): Promise<{ rss: Record<string, number[]>; anon: Record<string, number[]> }> {
  const rss: Record<string, number[]> = Object.fromEntries(stack.all.map((p) => [serviceOf(p), []]));
  const anon: Record<string, number[]> = Object.fromEntries(stack.all.map((p) => [serviceOf(p), []]));
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    if (i > 0) await sleep(200);
    for (const p of stack.all) {
      const m = memoryMb(p.child.pid!);
      rss[serviceOf(p)]!.push(m.rss);
      anon[serviceOf(p)]!.push(m.anon);
    }
  }
  return { rss, anon };
}

async function productsRound(stack: Stack, options: BenchNumbers, loadGenerator: LoadGenerator): Promise<ProductsRound> {
  const origin = `http://127.0.0.1:${stack.products.port}`;
  const pid = stack.products.child.pid!;
  if (loadGenerator === 'wrk') {
    const url = `${origin}${PRODUCT_PATH}`;
    if (options.warmupMs > 0) await runWrk({ url, connections: options.concurrency, durationMs: options.warmupMs });
    const before = cpuMicros(pid);
    const w = await runWrk({ url, connections: options.concurrency, durationMs: options.durationMs });
    const after = cpuMicros(pid);
    return { rps: (w.requests - w.non2xx) / w.seconds, cpuUsPerReq: cpuMicrosPerRequest(before, after, w.requests), errors: w.non2xx + w.socketErrors };
  }
  if (options.warmupMs > 0) await runClosedLoop({ origin, path: PRODUCT_PATH, concurrency: options.concurrency, durationMs: options.warmupMs });
  const cpuBefore = cpuMicros(pid);
  const r = await runClosedLoop({ origin, path: PRODUCT_PATH, concurrency: options.concurrency, durationMs: options.durationMs });
  const cpuAfter = cpuMicros(pid);
  return { rps: r.ok / (r.elapsedMs / 1000), cpuUsPerReq: cpuMicrosPerRequest(cpuBefore, cpuAfter, r.ok + r.badStatus), errors: r.badStatus + r.failed };
}

async function ordersRound(stack: Stack, options: BenchNumbers): Promise<OrdersRound> {
  const origin = `http://127.0.0.1:${stack.orders.port}`;
  if (options.warmupMs > 0) await runOpenLoop({ origin, path: ORDER_PATH, rate: options.rate, durationMs: options.warmupMs, timeoutMs: 5_000 });
  const o = await runOpenLoop({ origin, path: ORDER_PATH, rate: options.rate, durationMs: options.ordersDurationMs, timeoutMs: 5_000 });
  return {
    p50Ms: percentile(o.latenciesMs, 50),
    p99Ms: percentile(o.latenciesMs, 99),
    latenciesMs: o.latenciesMs,
    rate: o.ok / (options.ordersDurationMs / 1000),
    errors: o.badStatus + o.failed + o.dropped,
  };
}

const perSide = <T>(make: () => T): Record<SideName, T> => ({ shop: make(), hono: make(), raw: make() });

interface Prepared {
  bundles: Record<SideName, Bundles>;
  env: Record<SideName, Record<string, string>>;
  cpus: CpuPlan;
  loadGenerator: LoadGenerator;
}

async function oneRun(prepared: Prepared, options: BenchOptions, runIndex: number): Promise<RunResult> {
  const { log } = options;
  const tag = options.repeat > 1 ? `run ${runIndex + 1}/${options.repeat}: ` : '';
  const loadStart = loadAverages()[0];
  const stacks: Partial<Record<SideName, Stack>> = {};
  try {
    log(`${tag}starting the compiled shop, bare Hono and node:http (users, products, orders each)…`);
    for (const side of SIDES) stacks[side] = await startStack(side, prepared.bundles[side], prepared.env[side], prepared.cpus);
    await sleep(500);
    const idleRssMb = perSide<Record<string, number[]>>(() => ({}));
    const idleAnonMb = perSide<Record<string, number[]>>(() => ({}));
    for (const side of SIDES) ({ rss: idleRssMb[side], anon: idleAnonMb[side] } = await idleMemory(stacks[side]!));

    // One unmeasured round per side first, so the first measured alternation is not the JIT's.
    for (const side of SIDES) await productsRound(stacks[side]!, { ...options, warmupMs: 0 }, prepared.loadGenerator);
    const products = perSide<ProductsRound[]>(() => []);
    log(`${tag}GET ${PRODUCT_PATH} with ${options.concurrency} connections (${prepared.loadGenerator === 'wrk' ? 'wrk' : 'undici loop'}): ${options.alternations} alternations…`);
    for (const order of interleavePlan(SIDES, options.alternations)) {
      for (const side of order) products[side].push(await productsRound(stacks[side]!, options, prepared.loadGenerator));
    }
    const orders = perSide<OrdersRound[]>(() => []);
    // Measured: after 1.5 s of fan-out the first rounds' p99 was 5–10× the later ones' on every side,
    // while V8 still compiled the users, products and orders request paths on the one server CPU.
    if (options.ordersWarmupMs > 0) log(`${tag}GET ${ORDER_PATH} at ${options.rate}/s unmeasured for ${options.ordersWarmupMs / 1000} s per side (the fan-out paths compile)…`);
    for (const side of SIDES) await ordersRound(stacks[side]!, { ...options, warmupMs: 0, ordersDurationMs: Math.max(options.ordersWarmupMs, 200) });
    log(`${tag}GET ${ORDER_PATH} at ${options.rate}/s: ${options.ordersAlternations} alternations of ${options.ordersDurationMs / 1000} s…`);
    // On this class of virtual machine a stall of the host hits a few seconds of every run, whichever
    // side is measured then (up to 300 ms, with nothing in the guest's steal time): many short
    // rounds leave the median alternation clear of them.
    for (const order of interleavePlan(SIDES, options.ordersAlternations)) {
      for (const side of order) orders[side].push(await ordersRound(stacks[side]!, options));
    }
    const peakRssMb = perSide<Record<string, number>>(() => ({}));
    for (const side of SIDES) peakRssMb[side] = Object.fromEntries(stacks[side]!.all.map((p) => [serviceOf(p), memoryMb(p.child.pid!).peak]));
    await stopAll(stacks);

    log(`${tag}cold start of the compiled products and references: ${options.coldStarts} alternations…`);
    const coldStartMs = perSide<number[]>(() => []);
    const coldEnv = (side: SideName) => ({ ...prepared.env[side], USERS_URL: UNSTARTED_UPSTREAM_URL });
    for (const order of interleavePlan(SIDES, options.coldStarts)) {
      for (const side of order) coldStartMs[side].push(await coldStartOnce(prepared.cpus, prepared.bundles[side].products, coldEnv(side), PRODUCT_PATH));
    }
    return { products, orders, coldStartMs, idleRssMb, idleAnonMb, peakRssMb, load: { start: loadStart, end: loadAverages()[0] } };
  } finally {
    await stopAll(stacks);
  }
}

async function stopAll(stacks: Partial<Record<SideName, Stack>>): Promise<void> {
  const all = Object.values(stacks).flatMap((s) => s.all);
  for (const key of Object.keys(stacks) as SideName[]) delete stacks[key];
  await Promise.all(all.map((p) => p.stop('SIGTERM', 5_000)));
}

/** The environment every shop service gets in the benchmark (DATA_DIR inside `dir`). */
export function shopEnvironment(dataDir: string): Record<string, string> {
  // users signs tokens with a key pair; outside a cluster only development mode generates one.
  return { ...baseEnvironment(), NODE_ENV: 'development', HOST: '127.0.0.1', LOG_LEVEL: 'info', POD_NAME: 'bench', DATA_DIR: dataDir };
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { log } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-bench-'));
  try {
    log('compiling users, products and orders (esbuild, as in the image) and the two references…');
    const shop: Bundles = {
      users: (await bundleService('users', path.join(dir, 'users'))).outFile,
      products: (await bundleService('products', path.join(dir, 'products'))).outFile,
      orders: (await bundleService('orders', path.join(dir, 'orders'))).outFile,
    };
    const honoFile = await bundleReference('hono-server.ts', path.join(dir, 'hono'));
    const rawFile = await bundleReference('baseline-server.ts', path.join(dir, 'raw'));
    const dataDir = path.join(dir, 'data');
    mkdirSync(dataDir);
    const shopEnv = shopEnvironment(dataDir);
    const env = { ...shopEnv, NODE_ENV: 'production' };
    const cpus = planCpus({ allowedCpus: allowedCpus(), hasTaskset: commandWorks('taskset', ['-V']), disabled: options.pin === false });
    const hasWrk = commandWorks('wrk', ['-v']);
    if (options.loadGenerator === 'wrk' && !hasWrk) throw new Error('--load-generator wrk: wrk is not installed (Debian and Ubuntu: apt install wrk; macOS: brew install wrk)');
    const loadGenerator: LoadGenerator = options.loadGenerator ?? (hasWrk ? 'wrk' : 'node');
    log(`${cpus.note}; throughput measured with ${loadGenerator === 'wrk' ? 'wrk' : 'this process\'s undici loop (install wrk for a load generator that costs the servers less CPU)'}`);
    const prepared: Prepared = {
      bundles: { shop, hono: { users: honoFile, products: honoFile, orders: honoFile }, raw: { users: rawFile, products: rawFile, orders: rawFile } },
      env: { shop: shopEnv, hono: env, raw: env },
      cpus,
      loadGenerator,
    };

    const runs: RunResult[] = [];
    let floorRssMb: FloorRss;
    const unpin = pinThisProcess(cpus);
    try {
      for (let i = 0; i < options.repeat; i++) runs.push(await oneRun(prepared, options, i));
      floorRssMb = await floorRss(cpus);
    } finally {
      unpin();
    }

    let instructions: Record<SideName, number[]> | undefined;
    let instructionsSkipped: string | undefined;
    if (options.callgrindRequests === 0) instructionsSkipped = 'skipped (--callgrind 0)';
    else if (!callgrindAvailable()) instructionsSkipped = 'valgrind or callgrind_control is not installed';
    else {
      instructions = perSide<number[]>(() => []);
      const outDir = path.join(dir, 'callgrind');
      mkdirSync(outDir);
      for (const side of SIDES) {
        log(`${side}: instructions per GET ${PRODUCT_PATH} under callgrind (${CALLGRIND_WINDOWS} windows of ${options.callgrindRequests} requests after ${CALLGRIND_WARMUP} warm-up requests; slow)…`);
        instructions[side] = await instructionsPerRequest({
          label: `${side} products`,
          bundle: prepared.bundles[side].products,
          env: { ...prepared.env[side], USERS_URL: UNSTARTED_UPSTREAM_URL },
          path: PRODUCT_PATH,
          outDir,
          warmupRequests: CALLGRIND_WARMUP,
          requests: options.callgrindRequests,
          windows: CALLGRIND_WINDOWS,
        });
      }
    }
    const { log: _log, pin: _pin, loadGenerator: _lg, ...numbers } = options;
    return { runs, instructions, instructionsSkipped, options: numbers, cpuNote: cpus.note, loadGenerator, floorRssMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

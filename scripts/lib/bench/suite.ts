// The benchmark run: the compiled shop (users, products, orders bundled with esbuild, as in the
// image) and the raw node:http baseline, measured side by side in one run on 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { baseEnvironment, startProcess, UNSTARTED_UPSTREAM_URL, type ServiceProcess } from '../../../test/support/harness.ts';
import { bundleService } from '../images/bundle.ts';
import { repoRoot } from '../versions.ts';
import { runClosedLoop, runOpenLoop, type LoadResult } from './loadgen.ts';
import { cpuMicros, memoryMb } from './proc.ts';
import { cpuMicrosPerRequest, median, percentile } from './stats.ts';

export interface BenchOptions {
  /** Length of each measured phase. */
  durationMs: number;
  /** Arrival rate of the orders fan-out, per second. */
  rate: number;
  /** Concurrent connections for the products throughput phase. */
  concurrency: number;
  coldStarts: number;
  log: (line: string) => void;
}

export interface Side {
  productsRps: number;
  productsCpuUsPerReq: number;
  productsErrors: number;
  ordersP50Ms: number;
  ordersP99Ms: number;
  ordersRate: number;
  ordersOk: number;
  ordersErrors: number;
  ordersDropped: number;
  coldStartMs: number;
  idleRssMb: Record<string, number>;
  peakRssMb: Record<string, number>;
}

export interface BenchResult {
  shop: Side;
  baseline: Side;
  options: Omit<BenchOptions, 'log'>;
}

const PRODUCT_PATH = '/products/101';
const ORDER_PATH = '/orders/5001';

export function parseBenchNumbers(values: { duration?: string; rate?: string; concurrency?: string }): { durationMs: number; rate: number; concurrency: number } {
  const num = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}; got "${value}"`);
    return n;
  };
  return {
    durationMs: Math.round(num('duration', values.duration, 5, 0.2, 60) * 1000),
    rate: num('rate', values.rate, 1000, 1, 20_000),
    concurrency: Math.round(num('concurrency', values.concurrency, 32, 1, 1024)),
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

async function bundleBaseline(outDir: string): Promise<string> {
  const outFile = path.join(outDir, 'main.mjs');
  await build({
    entryPoints: [path.join(repoRoot, 'scripts', 'lib', 'bench', 'baseline-server.ts')],
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

/** Spawn to first 200 of `probePath`, on a fresh port each time; the median of `runs`. */
async function coldStart(bundle: string, env: Record<string, string>, probePath: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const began = performance.now();
    const child = spawn(process.execPath, [bundle], { env: { ...env, PORT: String(port), ADMIN_PORT: '0' }, stdio: 'ignore', detached: true });
    try {
      const deadline = began + 15_000;
      let answered = false;
      // Polls on fresh connections until the first 200, bounded by the deadline.
      while (performance.now() < deadline) {
        if ((await probe(`http://127.0.0.1:${port}${probePath}`)) === 200) {
          answered = true;
          break;
        }
        await sleep(2);
      }
      if (!answered) throw new Error(`the compiled ${path.basename(path.dirname(bundle))} did not answer 200 on ${probePath} within 15 s`);
      times.push(performance.now() - began);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    }
  }
  return median(times);
}

interface Stack {
  products: ServiceProcess;
  orders: ServiceProcess;
  all: ServiceProcess[];
}

async function startStack(label: string, bundles: { users: string; products: string; orders: string }, env: Record<string, string>): Promise<Stack> {
  const all: ServiceProcess[] = [];
  const start = async (name: string, file: string, extra: Record<string, string>) => {
    const p = await startProcess(`${label} ${name}`, { command: process.execPath, args: [file], env: { ...env, ...extra }, captureLogs: false });
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

function memoryBy(stack: Stack, pick: 'rss' | 'peak'): Record<string, number> {
  return Object.fromEntries(stack.all.map((p) => [p.name.split(' ')[1]!, memoryMb(p.child.pid!)[pick]]));
}

async function measureProducts(stack: Stack, options: BenchOptions): Promise<{ rps: number; cpu: number; errors: number }> {
  const origin = `http://127.0.0.1:${stack.products.port}`;
  await runClosedLoop({ origin, path: PRODUCT_PATH, concurrency: options.concurrency, durationMs: Math.min(1_000, options.durationMs) });
  const pid = stack.products.child.pid!;
  const cpuBefore = cpuMicros(pid);
  const r = await runClosedLoop({ origin, path: PRODUCT_PATH, concurrency: options.concurrency, durationMs: options.durationMs });
  const cpuAfter = cpuMicros(pid);
  return { rps: r.ok / (r.elapsedMs / 1000), cpu: cpuMicrosPerRequest(cpuBefore, cpuAfter, r.ok + r.badStatus), errors: r.badStatus + r.failed };
}

async function measureOrders(stack: Stack, options: BenchOptions): Promise<LoadResult> {
  const origin = `http://127.0.0.1:${stack.orders.port}`;
  await runOpenLoop({ origin, path: ORDER_PATH, rate: options.rate, durationMs: Math.min(1_000, options.durationMs), timeoutMs: 5_000 });
  return runOpenLoop({ origin, path: ORDER_PATH, rate: options.rate, durationMs: options.durationMs, timeoutMs: 5_000 });
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { log } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-bench-'));
  const stacks: Stack[] = [];
  try {
    log('compiling users, products and orders (esbuild, as in the image) and the baseline…');
    const shopBundles = {
      users: (await bundleService('users', path.join(dir, 'users'))).outFile,
      products: (await bundleService('products', path.join(dir, 'products'))).outFile,
      orders: (await bundleService('orders', path.join(dir, 'orders'))).outFile,
    };
    const baselineFile = await bundleBaseline(path.join(dir, 'baseline'));
    const baselineBundles = { users: baselineFile, products: baselineFile, orders: baselineFile };

    const env = { ...baseEnvironment(), NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'info', POD_NAME: 'bench' };
    log('starting the compiled shop and the baseline…');
    // users signs tokens with a key pair; outside a cluster only development mode generates one.
    const shop = await startStack('shop', shopBundles, { ...env, NODE_ENV: 'development' });
    stacks.push(shop);
    const baseline = await startStack('baseline', baselineBundles, env);
    stacks.push(baseline);
    await sleep(500);
    const idle = { shop: memoryBy(shop, 'rss'), baseline: memoryBy(baseline, 'rss') };

    const sides = {} as Record<'shop' | 'baseline', Side>;
    const products: Record<string, { rps: number; cpu: number; errors: number }> = {};
    const orders: Record<string, LoadResult> = {};
    for (const [label, stack] of [['shop', shop], ['baseline', baseline]] as const) {
      log(`${label}: GET ${PRODUCT_PATH}, ${options.concurrency} connections, ${options.durationMs / 1000} s…`);
      products[label] = await measureProducts(stack, options);
    }
    for (const [label, stack] of [['shop', shop], ['baseline', baseline]] as const) {
      log(`${label}: GET ${ORDER_PATH} at ${options.rate}/s, ${options.durationMs / 1000} s…`);
      orders[label] = await measureOrders(stack, options);
    }
    const peak = { shop: memoryBy(shop, 'peak'), baseline: memoryBy(baseline, 'peak') };
    await Promise.all(stacks.splice(0).flatMap((s) => s.all.map((p) => p.stop('SIGTERM', 5_000))));

    log(`cold start of the compiled products and baseline, median of ${options.coldStarts}…`);
    const cold = {
      shop: await coldStart(shopBundles.products, { ...env, USERS_URL: UNSTARTED_UPSTREAM_URL }, PRODUCT_PATH, options.coldStarts),
      baseline: await coldStart(baselineFile, env, PRODUCT_PATH, options.coldStarts),
    };

    for (const label of ['shop', 'baseline'] as const) {
      const o = orders[label]!;
      const answered = o.latenciesMs;
      sides[label] = {
        productsRps: products[label]!.rps,
        productsCpuUsPerReq: products[label]!.cpu,
        productsErrors: products[label]!.errors,
        ordersP50Ms: percentile(answered, 50),
        ordersP99Ms: percentile(answered, 99),
        ordersRate: o.ok / (options.durationMs / 1000),
        ordersOk: o.ok,
        ordersErrors: o.badStatus + o.failed,
        ordersDropped: o.dropped,
        coldStartMs: cold[label],
        idleRssMb: idle[label],
        peakRssMb: peak[label],
      };
    }
    const { log: _log, ...rest } = options;
    return { shop: sides.shop, baseline: sides.baseline, options: rest };
  } finally {
    await Promise.all(stacks.flatMap((s) => s.all.map((p) => p.stop('SIGTERM', 5_000))));
    rmSync(dir, { recursive: true, force: true });
  }
}

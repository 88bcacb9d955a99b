// npm run bench: the compiled shop beside bare Hono and raw node:http, in interleaved rounds. Prints figures; never fails on time.
import './lib/node-version.ts';
import { parseCommand, runMain, UsageError } from './lib/cli.ts';
import { describeMachine, loadAverages, machineLine } from './lib/bench/machine.ts';
import { benchRows, benchStability, benchSummary, TABLE_HEADER } from './lib/bench/report.ts';
import { formatTable, stabilityLine } from './lib/bench/stats.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { profileService, type ProfileSummary } from './lib/bench/profile.ts';
import { parseBenchNumbers, runBench, shopEnvironment, SIDES, type BenchNumbers } from './lib/bench/suite.ts';

const spec = {
  name: 'npm run bench',
  summary: 'measure the shop beside bare Hono and a raw node:http baseline with the same routes and upstream client',
  usage: 'npm run bench -- [--duration <s>] [--warmup <s>] [--alternations <n>] [--repeat <n>] [--rate <n>] [--concurrency <n>] [--cold-starts <n>] [--orders-warmup <s>] [--orders-alternations <n>] [--orders-duration <s>] [--callgrind <n>] [--load-generator wrk|node] [--no-pin] [--json]',
  options: {
    duration: { type: 'string', description: 'Seconds measured in each round.', default: '2' },
    warmup: { type: 'string', description: 'Seconds of unmeasured load before each round, the same on every side.', default: '0.5' },
    alternations: { type: 'string', description: 'Rounds per side for each figure, interleaved (shop, Hono, node:http in a rotating order).', default: '5' },
    repeat: { type: 'string', description: 'Whole runs; with 2 or more a stability line says whether consecutive runs agree within 10% on every ratio.', default: '1' },
    rate: { type: 'string', description: 'Arrival rate of the orders fan-out (GET /orders/5001), per second.', default: '1000' },
    concurrency: { type: 'string', description: 'Connections for the GET /products/101 throughput rounds.', default: '32' },
    'cold-starts': { type: 'string', description: 'Cold starts per side (the figure is their median).', default: '7' },
    'orders-warmup': { type: 'string', description: 'Seconds of unmeasured fan-out per side before the first orders round, while V8 compiles the three services\' request paths.', default: '10' },
    'orders-alternations': { type: 'string', description: 'Rounds per side for the orders p99 (more and shorter than the throughput rounds: a stall of the machine then spoils few of them, and the median round settles).', default: '90' },
    'orders-duration': { type: 'string', description: 'Seconds measured in each orders round.', default: '1' },
    callgrind: { type: 'string', description: 'Products requests per window counted under valgrind --tool=callgrind (5 windows per side, after 8000 warm-up requests); 0 skips the count.', default: '200' },
    'load-generator': { type: 'string', description: 'Throughput load generator: wrk (Debian\'s wrk package) or node (this process\'s undici loop). Default: wrk when installed.' },
    'no-pin': { type: 'boolean', description: 'Do not pin the servers and the load generator to separate CPUs (they are, with taskset, when there are two or more).' },
    profile: { type: 'boolean', description: 'Instead of the benchmark: run products and orders from source under node --cpu-prof with the same load, and print what each request spends its time on.' },
    json: { type: 'boolean', description: 'End with one JSON line: each median with _min/_max (products_rps_ratio, products_cpu_ratio, orders_p99_ms, orders_p99_ratio, cold_start_ms, idle_rss_mb, …), the stability verdict, the commit and the machine.' },
  },
  details: `Everything runs on 127.0.0.1: users, products and orders compiled with esbuild (as in the image), and the
same three roles twice more as references: bare Hono with the same routes and no middleware
(scripts/lib/bench/hono-server.ts) and raw node:http (scripts/lib/bench/baseline-server.ts), both using the
shop's upstream client. Each figure is measured in alternations, one round per side each, and each ratio is
the median of the per-alternation ratios, shown with its min–max. The orders p99 is each round's own p99 (the
median round's, and the ratio paired per alternation), after an unmeasured warm-up of the fan-out; the p99
of all rounds' requests together is printed beside it. CPU per request is the server process's own
CPU time (/proc/<pid>/stat) over the requests it served. The instruction count (valgrind's callgrind) does not
move with the machine's load. With taskset (util-linux) and two or more CPUs, the servers run on one CPU and
this process and its load generator on another, so a round's figure does not depend on where the scheduler
put the load generator; throughput comes from wrk when it is installed (a C client costs far less per
request than a Node one, so the server sets the pace). The machine's other work still shares the cores:
compare the ratios, and read the load averages printed with them.
Targets: products ≥ 0.7× node:http req/s, CPU per request ≤ 1.4×, orders p99 at 1000/s ≤ 1.5× node:http's
and ≤ 10 ms, cold start ≤ 200 ms, idle RSS ≤ 60 MB per service.`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  let numbers;
  try {
    numbers = parseBenchNumbers(parsed.options);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const log = (line: string) => process.stderr.write(`… ${line}\n`);
  const machine = describeMachine();
  log(`${machineLine(machine)}; load average ${loadAverages().map((l) => l.toFixed(2)).join(' ')}`);
  if (parsed.options.profile) return profile(numbers, log, machine);
  const loadGenerator = parsed.options['load-generator'];
  if (loadGenerator !== undefined && loadGenerator !== 'wrk' && loadGenerator !== 'node') throw new UsageError(`--load-generator must be wrk or node; got "${loadGenerator}"`);
  const result = await runBench({ ...numbers, log, pin: !parsed.options['no-pin'], loadGenerator });
  const out = (text: string) => process.stdout.write(text);
  out(`\nshopmesh bench: ${machineLine(machine)}\n`);
  out(`${numbers.alternations} alternations of ${numbers.durationMs / 1000} s after ${numbers.warmupMs / 1000} s warm-up per side and figure (the orders fan-out: ${numbers.ordersAlternations} alternations of ${numbers.ordersDurationMs / 1000} s after ${numbers.ordersWarmupMs / 1000} s unmeasured per side); ratios are medians (min–max) of per-alternation ratios\n`);
  out(`${result.cpuNote}; throughput load generator: ${result.loadGenerator === 'wrk' ? 'wrk (whole seconds per round)' : 'undici loop in this process'}\n`);
  result.runs.forEach((run, i) => {
    const title = result.runs.length > 1 ? `run ${i + 1} of ${result.runs.length}, ` : '';
    out(`\n${title}1-minute load ${run.load.start.toFixed(2)} at start, ${run.load.end.toFixed(2)} at end\n\n`);
    out(`${formatTable(TABLE_HEADER, benchRows(run, numbers, result.instructions))}\n`);
    for (const side of SIDES) {
      const idle = Object.entries(run.idleRssMb[side]).map(([k, v]) => `${k} ${Math.max(...v).toFixed(1)}`).join(', ');
      out(`idle RSS by service, ${side} (MB): ${idle}\n`);
    }
  });
  if (result.instructionsSkipped) out(`instructions per request: ${result.instructionsSkipped}\n`);
  out(`idle RSS floor: an idle node:http server ${result.floorRssMb.nodeHttp.toFixed(1)} MB; once Request/Response exist (Hono needs them) ${result.floorRssMb.withWebFetch.toFixed(1)} MB\n`);
  out(`\n${stabilityLine(benchStability(result))}\n`);
  if (parsed.options.json) out(`${JSON.stringify(benchSummary(result, machine))}\n`);
  return 0;
});

async function profile(numbers: BenchNumbers, log: (line: string) => void, machine: ReturnType<typeof describeMachine>): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-profile-'));
  try {
    const env = shopEnvironment(dir);
    const common = { outDir: dir, env, durationMs: Math.max(numbers.durationMs, 5_000), warmupMs: Math.max(numbers.warmupMs, 2_000), concurrency: numbers.concurrency, rate: numbers.rate };
    log(`profiling products under GET /products/101 with ${numbers.concurrency} connections…`);
    const products = await profileService({ ...common, which: 'products' });
    log(`profiling orders under GET /orders/5001 at ${numbers.rate}/s (users and products unprofiled)…`);
    const orders = await profileService({ ...common, which: 'orders' });
    process.stdout.write(`\nshopmesh bench --profile: ${machineLine(machine)}; 1-minute load ${loadAverages()[0].toFixed(2)}\n`);
    for (const [title, summary] of [['products, GET /products/101', products], ['orders, GET /orders/5001 fan-out', orders]] as const) {
      process.stdout.write(`\n${title}: ${summary.busyUsPerRequest.toFixed(1)} µs busy per request over ${summary.requests} requests\n\n`);
      process.stdout.write(`${formatTable(['where the time goes', 'µs/request', 'share'], profileRows(summary))}\n`);
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function profileRows(summary: ProfileSummary): string[][] {
  return summary.categories.filter((c) => c.share >= 0.005).map((c) => [c.category, c.usPerRequest.toFixed(1), `${(c.share * 100).toFixed(0)}%`]);
}

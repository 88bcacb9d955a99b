// npm run bench: the compiled shop against a raw node:http baseline, side by side. Prints figures; never fails on time.
import './lib/node-version.ts';
import { availableParallelism } from 'node:os';
import { parseCommand, runMain, UsageError } from './lib/cli.ts';
import { benchRows, benchSummary } from './lib/bench/report.ts';
import { formatTable } from './lib/bench/stats.ts';
import { parseBenchNumbers, runBench } from './lib/bench/suite.ts';

const spec = {
  name: 'npm run bench',
  summary: 'measure the shop against a raw node:http baseline with the same routes and upstream client',
  usage: 'npm run bench -- [--duration <s>] [--rate <n>] [--concurrency <n>] [--json]',
  options: {
    duration: { type: 'string', description: 'Seconds of each measured phase (four phases, plus warm-ups).', default: '5' },
    rate: { type: 'string', description: 'Arrival rate of the orders fan-out (GET /orders/5001), per second.', default: '1000' },
    concurrency: { type: 'string', description: 'Connections for the GET /products/101 throughput phase.', default: '32' },
    json: { type: 'boolean', description: 'End with one JSON line of the figures (products_rps_ratio, orders_p99_ms, orders_rate, cold_start_ms, idle_rss_mb, …).' },
  },
  details: `Everything runs on 127.0.0.1: users, products and orders compiled with esbuild (as in the image) and three
copies of the baseline (scripts/lib/bench/baseline-server.ts). The load generator runs in this process, so the
figures depend on the machine and on whatever else is running; compare the ratios, not the absolute numbers.
Targets: products ≥ 0.6× baseline req/s, orders p99 ≤ 10 ms at 1000/s, cold start ≤ 250 ms,
idle RSS ≤ 70 MB per service.`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options } = parsed;
  let numbers;
  try {
    numbers = parseBenchNumbers(options);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const log = (line: string) => process.stderr.write(`… ${line}\n`);
  const result = await runBench({ ...numbers, coldStarts: 3, log });
  process.stdout.write(`\nshopmesh bench (${availableParallelism()} CPUs, Node ${process.version})\n\n${formatTable(benchRows(result))}\n\n`);
  process.stdout.write(`idle RSS by service (MB): ${Object.entries(result.shop.idleRssMb).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(benchSummary(result))}\n`);
  return 0;
});

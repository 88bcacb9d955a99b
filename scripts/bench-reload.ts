// npm run bench:reload: time from saving a service's file to `npm run dev` serving the new code. Prints figures; never fails on time.
import './lib/node-version.ts';
import { parseCommand, runMain, UsageError } from './lib/cli.ts';
import { fmt, median } from './lib/bench/stats.ts';
import { runReloadBench } from './lib/bench/reload.ts';

const spec = {
  name: 'npm run bench:reload',
  summary: 'time from saving a source file to the new code answering under npm run dev',
  usage: 'npm run bench:reload -- [--edits <n>] [--service <name> --text <string> --path <path>] [--json]',
  options: {
    edits: { type: 'string', description: 'How many saves to time.', default: '10' },
    service: { type: 'string', description: 'The service to run and edit.', default: 'products' },
    text: { type: 'string', description: 'A string the service answers with, found quoted in its source; each edit changes it.', default: 'Laptop' },
    path: { type: 'string', description: 'The request path that answers with the string.', default: '/products/101' },
    json: { type: 'boolean', description: 'End with one JSON line: reload_median_ms, reload_max_ms, edits.' },
  },
  details: `The edits happen in a temporary copy of the repository (node_modules linked), so no real source file is
ever changed; the copy is removed at the end, on error and on Ctrl-C. The dev runner uses a random port block.`,
} as const;

let cleanup: (() => void) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanup?.();
    process.exit(130);
  });
}

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options } = parsed;
  const edits = Number(options.edits);
  if (!Number.isInteger(edits) || edits < 1 || edits > 100) throw new UsageError(`--edits must be an integer from 1 to 100; got "${options.edits}"`);
  const times = await runReloadBench({
    service: options.service ?? 'products',
    text: options.text ?? 'Laptop',
    path: options.path ?? '/products/101',
    edits,
    log: (line) => process.stderr.write(`… ${line}\n`),
    onCleanup: (fn) => (cleanup = fn),
  });
  const served = times.filter(Number.isFinite);
  const max = served.length > 0 ? Math.max(...served) : Number.NaN;
  process.stdout.write(
    `\nnpm run dev live reload (${options.service}, ${edits} saves): median ${fmt(median(served), 0, ' ms')}, max ${fmt(max, 0, ' ms')}` +
      `${served.length < times.length ? `, ${times.length - served.length} not served within 30 s` : ''}\n`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify({ reload_median_ms: Math.round(median(served)), reload_max_ms: Math.round(max), edits, not_served: times.length - served.length })}\n`);
  return 0;
});

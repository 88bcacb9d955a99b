// npm run mutation [-- --only <module>]: StrykerJS mutates each declared module and runs only its own
// tests against every mutant; prints a score per module and the mutants no test noticed.
import './lib/node-version.ts';
import { parseCommand, runMain, UsageError } from './lib/cli.ts';
import { MODULES } from './lib/mutation/modules.ts';
import { formatScore, mutateModule, testCommand } from './lib/mutation/run.ts';
import { repoRoot } from './lib/versions.ts';

const TARGET = 80;

const spec = {
  name: 'mutation',
  summary: 'mutation-test the modules that guard input, money and verdicts (StrykerJS, one module at a time)',
  usage: 'npm run mutation -- [--only <module,module>] [--concurrency <n>] [--lines <from-to,...>] [--list]',
  options: {
    only: { type: 'string', description: `a comma-separated subset of: ${MODULES.map((m) => m.name).join(', ')}` },
    concurrency: { type: 'string', default: '2', description: 'test commands Stryker runs at once' },
    lines: { type: 'string', description: 'with one --only module: mutate only these line ranges (e.g. 90-105,120-130), to check a fix quickly' },
    list: { type: 'boolean', description: 'print each module, its test command and its equivalent mutants, and run nothing' },
  },
  details: `
Modules, their test commands and the equivalent mutants are declared in scripts/lib/mutation/modules.ts.
The score is (killed + timed out) / (all mutants − listed equivalents − ones that did not compile).
Each module's full results go to reports/mutation/<module>.json.
Exit code: 0 when every module scores at least ${TARGET}%, 1 otherwise.`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options } = parsed;
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a positive integer; got "${options.concurrency}"`);
  const names = options.only ? options.only.split(',').map((s) => s.trim()).filter(Boolean) : MODULES.map((m) => m.name);
  const unknown = names.filter((n) => !MODULES.some((m) => m.name === n));
  if (unknown.length) throw new UsageError(`unknown module ${unknown.map((u) => `"${u}"`).join(', ')}; the modules are ${MODULES.map((m) => m.name).join(', ')}`);
  const chosen = MODULES.filter((m) => names.includes(m.name));
  const lines = options.lines ? options.lines.split(',').map((s) => s.trim()) : [];
  const badRange = lines.find((r) => !/^\d+-\d+$/.test(r));
  if (badRange !== undefined) throw new UsageError(`--lines takes ranges like 90-105,120-130; got "${badRange}"`);
  if (lines.length && chosen.length !== 1) throw new UsageError('--lines needs exactly one module (--only <module>)');
  if (options.list) {
    for (const m of chosen) {
      process.stdout.write(`${m.name}: ${m.file}\n  ${testCommand(m, repoRoot)}\n`);
      for (const e of m.equivalent ?? []) process.stdout.write(`  equivalent ${e.mutator} on "${e.line}": ${e.reason}\n`);
    }
    return 0;
  }
  const started = Date.now();
  const scores = [];
  for (const m of chosen) {
    const t0 = Date.now();
    process.stdout.write(`${m.name}: mutating ${m.file}…\n`);
    const s = await mutateModule(m, repoRoot, concurrency, lines);
    scores.push(s);
    process.stdout.write(`${formatScore(s, (Date.now() - t0) / 1000)}\n`);
  }
  const low = scores.filter((s) => s.score < TARGET);
  process.stdout.write(`\n${scores.map((s) => `${s.name} ${s.score.toFixed(1)}%`).join(', ')}\n`);
  process.stdout.write(`${scores.length - low.length}/${scores.length} module(s) at or above ${TARGET}% in ${((Date.now() - started) / 60_000).toFixed(1)} min${low.length ? `; below: ${low.map((s) => s.name).join(', ')}` : ''}\n`);
  return low.length ? 1 : 0;
});

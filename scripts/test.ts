// npm test: the real tools provisioned (npm run tools, a no-op once done), the type checks, the offline
// checks of every overlay, then every *.test.ts with node:test, several files at a time, and the ten
// slowest tests at the end.
import './lib/node-version.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, runMain, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { repoRoot } from './lib/versions.ts';

export const TEST_GLOBS = ['services/**/*.test.ts', 'scripts/**/*.test.ts', 'loadtests/**/*.test.ts', 'test/**/*.test.ts'];

export const testSpec = {
  name: 'test',
  summary: 'type-check, check every overlay with the real tools, and run every test file',
  usage: 'npm test -- [--only-tests] [--concurrency <n>] [file-or-glob ...]',
  options: {
    'only-tests': { type: 'boolean', description: 'skip the type checks and `npm run check`; run the test files only' },
    concurrency: { type: 'string', description: 'test files run at once (default: 3; they wait on real processes more than on the CPU)' },
  },
  details: `
First it runs \`npm run tools\`, which is instant once the tools are in .bin/ (the first time it needs
Go >= 1.26 and some minutes). With file names or globs, only those test files run, for example:
npm test -- --only-tests scripts/lib/tools/*.test.ts`,
  allowPositionals: true,
} satisfies CommandSpec<Record<string, OptionSpec>>;

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

interface Timing {
  name: string;
  file: string;
  ms: number;
}

/** The slowest leaf tests from the JSON lines the timing reporter wrote. */
export function slowest(lines: string, count = 10): Timing[] {
  const timings = lines
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Timing);
  return timings.sort((a, b) => b.ms - a.ms).slice(0, count);
}

export async function testMain(argv: string[]): Promise<number> {
  const parsed = parseCommand(testSpec, argv);
  if (!parsed) return 0;
  const concurrency = Number(parsed.options.concurrency ?? 3);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a whole number of at least 1, not "${parsed.options.concurrency}"`);
  const started = Date.now();
  const phases: Array<[string, number]> = [];
  const phase = async (name: string, cmd: string, args: string[]): Promise<boolean> => {
    const t0 = Date.now();
    process.stdout.write(`\n== ${name}\n`);
    const code = await run(cmd, args);
    phases.push([name, Date.now() - t0]);
    if (code !== 0) process.stdout.write(`\n${name} failed (exit ${code}).\n`);
    return code === 0;
  };
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // Provisioning happens once, before any test: instant when every tool is present, otherwise it
  // downloads or builds what is missing (a first run on a new machine takes a while; it says so).
  if (!(await phase('npm run tools', npm, ['run', '--silent', 'tools']))) return 1;
  if (!parsed.options['only-tests']) {
    if (!(await phase('typecheck', npm, ['run', '--silent', 'typecheck']))) return 1;
    if (!(await phase('typecheck:k6', npm, ['run', '--silent', 'typecheck:k6']))) return 1;
    if (!(await phase('npm run check', npm, ['run', '--silent', 'check']))) return 1;
  }
  const timingsDir = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-test-timings-'));
  const timingsFile = path.join(timingsDir, 'timings.jsonl');
  const reporter = path.join(repoRoot, 'test', 'support', 'timing-reporter.ts');
  const files = parsed.positionals.length ? parsed.positionals : TEST_GLOBS;
  const ok = await phase('node:test', process.execPath, [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${timingsFile}`,
    ...files,
  ]);
  try {
    const top = slowest(readFileSync(timingsFile, 'utf8'));
    process.stdout.write(`\nThe ten slowest tests:\n${top.map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(6)}s  ${t.name}  (${path.relative(repoRoot, t.file)})`).join('\n')}\n`);
  } catch {
    process.stdout.write('\n(no test timings were written)\n');
  } finally {
    rmSync(timingsDir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${phases.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(0)}s`).join(', ')}; total ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
  return ok ? 0 : 1;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) void runMain(() => testMain(process.argv.slice(2)));

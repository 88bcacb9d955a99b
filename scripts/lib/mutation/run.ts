// Runs StrykerJS over one declared module and turns its results into a score and a list of survivors.
// The mutation happens in a sandbox copy under the system temp folder, never in the working tree
// (other people's processes read it) and never under the repo (the test globs would find the copy).
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALWAYS_IN_SANDBOX, type Equivalent, type MutationModule } from './modules.ts';
import { importClosure, topLevelPaths } from './imports.ts';

/** The part of Stryker's MutantResult this module reads. */
export interface MutantOutcome {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

export interface ModuleScore {
  name: string;
  file: string;
  /** Killed + timed out: a test noticed. */
  detected: number;
  /** Survived or not covered: no test noticed. */
  undetected: number;
  /** Listed as equivalent in modules.ts (not counted either way). */
  equivalent: number;
  /** Mutants that did not compile or crashed the runner; not counted either way (as in Stryker). */
  invalid: number;
  /** detected / (detected + undetected), in percent; 100 when nothing counts. */
  score: number;
  survivors: Array<{ line: number; column: number; mutator: string; original: string; replacement: string }>;
  /** Equivalent entries that matched no surviving mutant (stale: the code or the tests changed). */
  unusedEquivalents: Equivalent[];
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell command Stryker's command runner runs for every mutant, in the sandbox folder. */
export function testCommand(m: MutationModule, repoRoot: string, node = process.execPath): string {
  const links = (m.links ?? []).map((l) => `ln -sfn ${shellQuote(path.join(repoRoot, l))} ${shellQuote(l)} && `).join('');
  const isolation = m.tests.length > 1 ? ['--test-isolation=none', '--test'] : [];
  const args = [...(m.tsx ? ['--import', 'tsx'] : []), '--test-reporter=dot', ...isolation, ...m.tests];
  // The tests' temp folders go inside the sandbox, which Stryker removes: a mutant killed on timeout
  // never runs the exit hooks that would remove them from the system temp folder.
  return `${links}mkdir -p .tmp && TMPDIR="$PWD/.tmp" ${shellQuote(node)} ${args.map(shellQuote).join(' ')}`;
}

/**
 * The top-level paths the sandbox copy keeps: the package files, every folder the module and its tests
 * reach by relative imports, and what the module declares it reads at run time.
 */
export function sandboxPaths(m: MutationModule, repoRoot: string): string[] {
  const imported = topLevelPaths(importClosure([m.file, ...m.tests], repoRoot));
  return [...new Set([...ALWAYS_IN_SANDBOX, ...imported, ...(m.sandbox ?? [])])];
}

/** Stryker's options for one module: the command runner, a sandbox holding only what the tests read. */
export function strykerOptions(m: MutationModule, repoRoot: string, concurrency: number, lines: readonly string[] = []): Record<string, unknown> {
  const keep = sandboxPaths(m, repoRoot);
  return {
    mutate: lines.length ? lines.map((range) => `${m.file}:${range}`) : [m.file],
    testRunner: 'command',
    commandRunner: { command: testCommand(m, repoRoot) },
    concurrency,
    coverageAnalysis: 'off',
    // Ignore everything at the top level, then bring back what the tests need.
    ignorePatterns: ['/*', ...keep.map((p) => `!/${p}`)],
    tempDirName: path.join(os.tmpdir(), 'shopmesh-mutation'),
    cleanTempDir: 'always',
    // A line of progress every few seconds: a module takes minutes.
    reporters: ['json', 'progress-append-only'],
    jsonReporter: { fileName: reportFile(m, repoRoot) },
    logLevel: 'warn',
    fileLogLevel: 'off',
    // A mutant's run may take twice the unmutated run plus 5 s before it counts as a timeout (a
    // detected mutant: an endless loop). Generous enough that a merely slow run on 2 busy cores is not
    // one, and short enough that a module's endless loops don't dominate its time.
    timeoutFactor: 2,
    timeoutMS: 5_000,
    incremental: false,
    warnings: { slow: false },
  };
}

function matchesEquivalent(e: Equivalent, mutant: MutantOutcome, lines: readonly string[]): boolean {
  const text = lines[mutant.location.start.line - 1] ?? '';
  return (
    e.mutator === mutant.mutatorName &&
    text.includes(e.line) &&
    (e.original === undefined || originalText(mutant, lines) === e.original) &&
    (e.replacement === undefined || (mutant.replacement ?? '').includes(e.replacement))
  );
}

/** The text a mutant replaced, cut to one line. */
function originalText(m: MutantOutcome, lines: readonly string[]): string {
  const { start, end } = m.location;
  const first = lines[start.line - 1] ?? '';
  return start.line === end.line ? first.slice(start.column - 1, end.column - 1) : `${first.slice(start.column - 1)}…`;
}

/** Scores one module's results: equivalents come out first, then detected / (detected + undetected). */
export function scoreModule(m: MutationModule, results: readonly MutantOutcome[], source: string): ModuleScore {
  const lines = source.split('\n');
  const equivalents = m.equivalent ?? [];
  const used = new Set<Equivalent>();
  let detected = 0;
  let undetected = 0;
  let equivalent = 0;
  let invalid = 0;
  const survivors: ModuleScore['survivors'] = [];
  for (const r of results) {
    if (r.status === 'Killed' || r.status === 'Timeout') {
      detected++;
    } else if (r.status === 'Survived' || r.status === 'NoCoverage') {
      const eq = equivalents.find((e) => matchesEquivalent(e, r, lines));
      if (eq) {
        used.add(eq);
        equivalent++;
        continue;
      }
      undetected++;
      const oneLine = (s: string): string => s.replace(/\s+/g, ' ').slice(0, 100);
      survivors.push({ line: r.location.start.line, column: r.location.start.column, mutator: r.mutatorName, original: oneLine(originalText(r, lines)), replacement: oneLine(r.replacement ?? '') });
    } else {
      invalid++;
    }
  }
  survivors.sort((a, b) => a.line - b.line || a.column - b.column);
  const counted = detected + undetected;
  return {
    name: m.name,
    file: m.file,
    detected,
    undetected,
    equivalent,
    invalid,
    score: counted === 0 ? 100 : (100 * detected) / counted,
    survivors,
    unusedEquivalents: equivalents.filter((e) => !used.has(e)),
  };
}

export function formatScore(s: ModuleScore, seconds: number): string {
  const head = `${s.name.padEnd(14)} ${s.score.toFixed(1).padStart(5)}%  ${s.detected} detected, ${s.undetected} survived, ${s.equivalent} equivalent, ${s.invalid} invalid  (${s.file}, ${seconds.toFixed(0)} s)`;
  const rows = s.survivors.map((v) => `    ${s.file}:${v.line}:${v.column}  ${v.mutator}: ${v.original}  →  ${v.replacement}`);
  const stale = s.unusedEquivalents.map((e) => `    stale equivalent entry (matched nothing): ${e.mutator} on "${e.line}"`);
  return [head, ...rows, ...stale].join('\n');
}

export const reportFile = (m: MutationModule, repoRoot: string): string => path.join(repoRoot, 'reports', 'mutation', `${m.name}.json`);

/** Whether the file holds complete JSON (false when missing or cut short). */
export function completeJson(file: string): boolean {
  try {
    JSON.parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits, bounded, until the JSON report is whole. Seen: the last module's report of a run (over
 * 512 KiB, one write chunk) cut at 512 KiB when the process ended; waiting here keeps it alive.
 */
async function reportWritten(file: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!completeJson(file)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Runs Stryker on one module (from the repo root) and scores it. */
export async function mutateModule(m: MutationModule, repoRoot: string, concurrency: number, lines: readonly string[] = []): Promise<ModuleScore> {
  const { Stryker } = await import('@stryker-mutator/core');
  const previous = process.cwd();
  process.chdir(repoRoot);
  try {
    const results = await new Stryker(strykerOptions(m, repoRoot, concurrency, lines)).runMutationTest();
    if (!(await reportWritten(reportFile(m, repoRoot)))) process.stderr.write(`warning: ${reportFile(m, repoRoot)} is incomplete; the score below is from Stryker's results all the same\n`);
    const score = scoreModule(m, results as unknown as MutantOutcome[], readFileSync(path.join(repoRoot, m.file), 'utf8'));
    // With --lines, entries for the lines left out matched nothing because they were not mutated.
    return lines.length ? { ...score, unusedEquivalents: [] } : score;
  } finally {
    process.chdir(previous);
  }
}

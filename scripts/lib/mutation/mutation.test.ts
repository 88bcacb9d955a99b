// npm run mutation's own arithmetic and plumbing: the score, the equivalent list, the sandbox and the
// per-mutant command. (Stryker itself runs in `npm run mutation`, which is too slow for npm test.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODULES, type MutationModule } from './modules.ts';
import { completeJson, sandboxPaths, scoreModule, strykerOptions, testCommand, type MutantOutcome } from './run.ts';
import { importClosure, relativeImports } from './imports.ts';
import { repoRoot } from '../versions.ts';

const source = ['export function f(a: number, b: number): number {', '  if (a > b) return a - b;', '  return b - a;', '}'].join('\n');
const mutant = (id: string, status: string, line: number, column: number, endColumn: number, mutatorName: string, replacement: string): MutantOutcome => ({
  id,
  status,
  mutatorName,
  replacement,
  location: { start: { line, column }, end: { line, column: endColumn } },
});
const module = (equivalent: MutationModule['equivalent'] = []): MutationModule => ({ name: 'f', file: 'f.ts', tests: ['f.test.ts'], sandbox: ['lib'], equivalent });

test('the score is detected over detected plus survivors; equivalents and invalid mutants count neither way', () => {
  const results = [
    mutant('1', 'Killed', 2, 7, 12, 'EqualityOperator', 'a >= b'),
    mutant('2', 'Timeout', 2, 7, 12, 'ConditionalExpression', 'true'),
    mutant('3', 'Survived', 2, 21, 26, 'ArithmeticOperator', 'a + b'),
    mutant('4', 'NoCoverage', 3, 10, 15, 'ArithmeticOperator', 'b + a'),
    mutant('5', 'CompileError', 3, 10, 15, 'ArithmeticOperator', 'b * a'),
    mutant('6', 'RuntimeError', 3, 10, 15, 'ArithmeticOperator', 'b / a'),
    mutant('7', 'Survived', 2, 7, 12, 'EqualityOperator', 'a < b'),
  ];
  const plain = scoreModule(module(), results, source);
  assert.deepEqual([plain.detected, plain.undetected, plain.equivalent, plain.invalid], [2, 3, 0, 2]);
  assert.equal(plain.score, 40);
  assert.deepEqual(plain.survivors.map((s) => [s.line, s.column, s.original, s.replacement]), [[2, 7, 'a > b', 'a < b'], [2, 21, 'a - b', 'a + b'], [3, 10, 'b - a', 'b + a']]);

  const withEquivalent = scoreModule(
    module([
      { mutator: 'ArithmeticOperator', line: 'return b - a', reason: 'test' },
      // Same line and mutator, but another original span: must not swallow the a > b survivor.
      { mutator: 'EqualityOperator', line: 'if (a > b)', original: 'a >= b', reason: 'test' },
      { mutator: 'StringLiteral', line: 'nowhere', reason: 'stale' },
    ]),
    results,
    source,
  );
  assert.deepEqual([withEquivalent.detected, withEquivalent.undetected, withEquivalent.equivalent], [2, 2, 1]);
  assert.equal(withEquivalent.score, 50);
  assert.deepEqual(withEquivalent.unusedEquivalents.map((e) => e.line), ['if (a > b)', 'nowhere'], 'entries that matched nothing are reported as stale');
  const byReplacement = scoreModule(module([{ mutator: 'EqualityOperator', line: 'if (a > b)', original: 'a > b', replacement: 'a < b', reason: 'test' }]), results, source);
  assert.equal(byReplacement.equivalent, 1);
  const wrongReplacement = scoreModule(module([{ mutator: 'EqualityOperator', line: 'if (a > b)', replacement: 'a <= b', reason: 'test' }]), results, source);
  assert.equal(wrongReplacement.equivalent, 0);

  assert.equal(scoreModule(module(), [], source).score, 100, 'nothing to count is not a failure');
});

test('the per-mutant command runs only the module\'s tests, quoted, and links the large folders', () => {
  const m: MutationModule = { name: 'x', file: 'a b/x.ts', tests: ["it's.test.ts"], sandbox: [], links: ['.bin'] };
  assert.equal(testCommand(m, '/repo', '/usr/bin/node'), `ln -sfn '/repo/.bin' '.bin' && mkdir -p .tmp && TMPDIR="$PWD/.tmp" '/usr/bin/node' '--test-reporter=dot' 'it'\\''s.test.ts'`);
  const two: MutationModule = { name: 'y', file: 'y.ts', tests: ['a.test.ts', 'b.test.ts'], sandbox: [], tsx: true };
  assert.equal(testCommand(two, '/repo', 'node'), `mkdir -p .tmp && TMPDIR="$PWD/.tmp" 'node' '--import' 'tsx' '--test-reporter=dot' '--test-isolation=none' '--test' 'a.test.ts' 'b.test.ts'`);
});

test('the sandbox holds only what the tests read, outside the repository', () => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-mutation-test-'));
  try {
    const write = (rel: string, text: string): void => {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      writeFileSync(path.join(repo, rel), text);
    };
    write('loadtests/lib/x.ts', "import { y } from './y.ts';\nexport const x = y;\n");
    write('loadtests/lib/y.ts', "export { z } from '../../shared/z.ts';\nexport const y = 1;\n");
    write('shared/z.ts', "import 'node:fs';\nexport const z = 2;\n");
    write('loadtests/lib/x.test.ts', "import { x } from './x.ts';\nconst fixture = await import('../../test/support/fixture.ts');\nimport '../../setup/hook.ts';\n");
    write('test/support/fixture.ts', 'export default 1;\n');
    write('setup/hook.ts', '');
    const m: MutationModule = { name: 'x', file: 'loadtests/lib/x.ts', tests: ['loadtests/lib/x.test.ts'], sandbox: ['data'] };
    const o = strykerOptions(m, repo, 2);
    assert.deepEqual(o.ignorePatterns, ['/*', '!/package.json', '!/versions.yaml', '!/loadtests', '!/setup', '!/shared', '!/test', '!/data'], 'imports reached through re-exports, dynamic and bare imports, plus the declared run-time paths');
    assert.equal(path.relative(repo, String(o.tempDirName)).startsWith('..'), true, 'not under the repo, where the test globs would find the copy');
    assert.deepEqual(o.mutate, ['loadtests/lib/x.ts']);
    assert.deepEqual(strykerOptions(m, repo, 1, ['3-9', '20-22']).mutate, ['loadtests/lib/x.ts:3-9', 'loadtests/lib/x.ts:20-22']);
    assert.equal(o.inPlace, undefined, 'never mutates the working tree');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('relative imports are found in every form, packages and node: builtins are not', () => {
  const source = [
    "import a from './a.ts';",
    "import { b,\n  c } from '../b.ts';",
    "import type { T } from './types.ts';",
    "export * from './d.ts';",
    "import './side.ts';",
    "const e = await import('./e.ts');",
    "import { Hono } from 'hono';",
    "import fs from 'node:fs';",
    "const s = 'from \\'./not-an-import\\'';",
  ].join('\n');
  assert.deepEqual(relativeImports(source).sort(), ['../b.ts', './a.ts', './d.ts', './e.ts', './side.ts', './types.ts']);
});

test('the closure of a real module reaches what its tests import from other folders', () => {
  // power.test.ts reads its breaker fixture from test/support: the sandbox must hold that folder.
  const power = MODULES.find((m) => m.name === 'power')!;
  assert.ok(sandboxPaths(power, repoRoot).includes('test'));
  assert.ok(importClosure(power.tests, repoRoot).includes('test/support/expectations.ts'));
});

test('every declared module, test file and sandbox path exists, and names are unique', () => {
  assert.equal(new Set(MODULES.map((m) => m.name)).size, MODULES.length);
  for (const m of MODULES) {
    assert.ok(existsSync(path.join(repoRoot, m.file)), m.file);
    for (const t of m.tests) {
      assert.ok(existsSync(path.join(repoRoot, t)), t);
      assert.ok(importClosure([t], repoRoot).includes(m.file), `${m.name}: ${t} imports ${m.file}, directly or not`);
    }
    for (const p of m.sandbox ?? []) assert.ok(existsSync(path.join(repoRoot, p)), `${m.name}: sandbox path ${p} exists`);
    for (const e of m.equivalent ?? []) assert.ok(e.reason.length > 10, `${m.name}: every equivalent says why`);
  }
});

test('a JSON report cut short is told apart from a whole one', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-mutation-report-'));
  try {
    const file = path.join(dir, 'm.json');
    assert.equal(completeJson(file), false, 'missing');
    writeFileSync(file, JSON.stringify({ files: { 'a.ts': { mutants: [] } } }));
    assert.equal(completeJson(file), true);
    writeFileSync(file, '{"files":{"a.ts":{"mutants":[{"id":"1","stat');
    assert.equal(completeJson(file), false, 'cut at a write chunk');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

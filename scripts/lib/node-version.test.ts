import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { nodeVersionProblem } from './node-version.ts';
import { repoRoot } from './versions.ts';

test('Node 20 and 21 get one line that names the required version and how to get it; 22+ pass', () => {
  for (const old of ['20.20.2', '21.7.3', '18.0.0']) {
    const problem = nodeVersionProblem(old, '24.21.0');
    assert.ok(problem, old);
    assert.doesNotMatch(problem, /\n/);
    assert.match(problem, new RegExp(`needs Node 22 or newer .*this is Node ${old.replace(/\./g, '\\.')}: install Node 24 LTS .*\\.nvmrc`));
  }
  for (const fine of ['22.0.0', '24.21.0', '26.1.0']) assert.equal(nodeVersionProblem(fine, '24.21.0'), undefined, fine);
});

test('every npm script entry file checks the Node version before any other import', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const entries = new Set<string>();
  for (const command of Object.values(pkg.scripts)) for (const m of command.matchAll(/tsx (scripts\/[\w-]+\.ts)/g)) entries.add(m[1]!);
  assert.ok(entries.size >= 12, `found the entry files: ${[...entries].join(', ')}`);
  for (const file of readdirSync(path.join(repoRoot, 'scripts')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    assert.ok(entries.has(`scripts/${file}`), `scripts/${file} is an npm script`);
  }
  for (const entry of entries) {
    const firstImport = readFileSync(path.join(repoRoot, entry), 'utf8').split('\n').find((l) => l.startsWith('import '));
    assert.equal(firstImport, "import './lib/node-version.ts';", entry);
  }
});

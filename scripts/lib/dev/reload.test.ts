// Live reload end to end: `npm run dev` on a temporary copy of the repository (no real source file
// is touched) serves each save of a products source file, whether it was written in place, saved
// atomically by an editor (temporary file renamed over it) or rewritten by git checkout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { freePortBase, startDev, waitForOutput, waitUntil } from '../../../test/support/dev-run.ts';
import { editLiteral, findLiteral, makeWorkspaceCopy } from '../bench/reload.ts';

async function body(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

test('each kind of save restarts the service, and so does every save after it', async (t) => {
  const dir = makeWorkspaceCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const srcDir = path.join(dir, 'services', 'products', 'src');
  const target = findLiteral(srcDir, 'Laptop');
  assert.ok(target, 'a products source file names the Laptop');
  const file = path.join(srcDir, target.file);
  const original = readFileSync(file, 'utf8');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', path.relative(dir, file));
  git('commit', '-q', '-m', 'products as copied');

  const base = await freePortBase([2, 102]);
  const run = startDev({ args: ['--only', 'products', '--port-base', String(base)], cwd: dir }, t);
  await waitForOutput(run, /all services are listening/, 60_000);
  const url = `http://127.0.0.1:${base + 2}/products/101`;
  assert.match(await body(url), /Laptop/);

  const saves: Array<[string, string, () => void]> = [
    ['an atomic save', 'Laptop A', () => {
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.swp-tmp`);
      writeFileSync(temp, editLiteral(original, target, 'Laptop A'));
      renameSync(temp, file);
    }],
    ['a write in place after it', 'Laptop B', () => writeFileSync(file, editLiteral(original, target, 'Laptop B'))],
    ['git checkout', 'Laptop', () => git('checkout', '--', path.relative(dir, file))],
    ['a write in place after git checkout', 'Laptop C', () => writeFileSync(file, editLiteral(original, target, 'Laptop C'))],
  ];
  for (const [kind, name, save] of saves) {
    save();
    const served = await waitUntil(async () => (await body(url)).includes(`"name":"${name}"`), 15_000, 100);
    assert.ok(served, `after ${kind}, ${url} does not serve "${name}":\n${run.output()}`);
  }
  const noted = () => run.output().match(/products is serving the new code \(\d+ ms after the save\)/g)?.length ?? 0;
  assert.ok(await waitUntil(() => noted() === saves.length, 5_000), `the runner notes each restart once it answers:\n${run.output()}`);
  assert.equal(run.output().match(/products: services\/products\/src\/\S+ changed; restarting/g)?.length, saves.length, 'one restart per save');
});

// The source watcher on a real folder, with each way an editor or git saves a file. The bug this
// guards against: after a file is replaced by rename, a watch on the file itself goes quiet, so
// the next save of that file restarts nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSourceFile, watchSources } from './watch.ts';

function setup(t: { after: (fn: () => unknown) => void }) {
  const root = mkdtempSync(path.join(tmpdir(), 'shopmesh-watch-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const src = path.join(root, 'src');
  mkdirSync(path.join(src, 'routes'), { recursive: true });
  const file = path.join(src, 'routes', 'products.ts');
  writeFileSync(file, "export const name = 'v0';\n");
  const batches: string[][] = [];
  const watcher = watchSources({ dirs: [src], onChange: (files) => batches.push(files), debounceMs: 40 });
  t.after(() => watcher.close());
  /** Runs the save and waits (bounded) for the batch it causes; returns the files reported. */
  const save = async (act: () => void, timeoutMs = 3_000): Promise<string[]> => {
    const before = batches.length;
    act();
    const deadline = Date.now() + timeoutMs;
    while (batches.length === before && Date.now() < deadline) await sleep(20);
    await sleep(120); // let a trailing event of the same save land in this batch, not the next
    return batches.slice(before).flat();
  };
  return { root, src, file, save };
}

test('every kind of save keeps being seen, also each save after a file was replaced', async (t) => {
  const { root, src, file, save } = setup(t);
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { cwd: root });
  execFileSync('git', ['add', '.'], { cwd: root });
  execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'v0'], { cwd: root });
  await sleep(100); // the recursive watch is set up asynchronously

  const saves: Array<[string, () => void]> = [
    ['a write in place', () => writeFileSync(file, "export const name = 'v1';\n")],
    // VS Code, vim (writebackup), JetBrains "safe write": a temporary file beside it, renamed over.
    ['an atomic save (temp file, rename)', () => {
      const temp = path.join(path.dirname(file), '.products.ts.tmp-1');
      writeFileSync(temp, "export const name = 'v2';\n");
      renameSync(temp, file);
    }],
    ['a write in place after the atomic save', () => writeFileSync(file, "export const name = 'v3';\n")],
    ['git checkout of the file', () => execFileSync('git', ['checkout', '--', 'src/routes/products.ts'], { cwd: root })],
    ['a write in place after git checkout', () => writeFileSync(file, "export const name = 'v4';\n")],
    ['a file moved in from another folder', () => {
      const elsewhere = path.join(root, 'products.ts');
      writeFileSync(elsewhere, "export const name = 'v5';\n");
      renameSync(elsewhere, file);
    }],
    ['delete and create', () => {
      unlinkSync(file);
      writeFileSync(file, "export const name = 'v6';\n");
    }],
    ['a write in place after all that', () => writeFileSync(file, "export const name = 'v7';\n")],
    ['a new file in a new folder', () => {
      mkdirSync(path.join(src, 'views'));
      writeFileSync(path.join(src, 'views', 'page.tsx'), 'export {};\n');
    }],
  ];
  for (const [kind, act] of saves) {
    const files = await save(act);
    const expected = kind.startsWith('a new file') ? path.join(src, 'views', 'page.tsx') : file;
    assert.ok(files.includes(expected), `${kind}: the watcher reported ${JSON.stringify(files)}, not ${expected}`);
    assert.ok(!files.some((f) => f.includes('.tmp-')), `${kind}: an editor's temporary file is not a source file`);
  }
  const nested = await save(() => writeFileSync(path.join(src, 'views', 'page.tsx'), 'export const x = 1;\n'));
  assert.deepEqual(nested, [path.join(src, 'views', 'page.tsx')], 'a folder made after the start is watched too');
});

test("tests, editors' swap and backup files and node_modules restart nothing", async (t) => {
  const { src, save } = setup(t);
  await sleep(100);
  const ignored = await save(() => {
    writeFileSync(path.join(src, 'routes', 'products.test.ts'), 'export {};\n');
    writeFileSync(path.join(src, 'routes', '.products.ts.swp'), 'x');
    writeFileSync(path.join(src, 'routes', 'products.ts~'), 'x');
    writeFileSync(path.join(src, 'notes.md'), 'x');
  }, 600);
  assert.deepEqual(ignored, []);
  assert.equal(isSourceFile('routes/products.ts'), true);
  assert.equal(isSourceFile('views/page.tsx'), true);
  assert.equal(isSourceFile('data/catalog.json'), true);
  assert.equal(isSourceFile('lib/x.mjs'), true);
  assert.equal(isSourceFile('node_modules/x/index.js'), false);
  assert.equal(isSourceFile('app.test.tsx'), false);
  assert.equal(isSourceFile('4913'), false, "vim's write-permission probe");
});

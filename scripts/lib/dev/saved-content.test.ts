// What the dev runner counts as a real change: only different bytes, never a file rewritten with
// the same bytes, except while the process may still be reading it (then it restarts, to be safe).
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../../test/support/temp-dirs.ts';
import { contentFingerprint, LaunchedContent, sourceFilesUnder } from './saved-content.ts';

// A write's ctime comes from a clock that ticks every few ms: wait a tick so it differs from the last.
const tick = () => sleep(25);

async function folder() {
  const dir = tempDir('shopmesh-saved-');
  const file = path.join(dir, 'app.ts');
  writeFileSync(file, "export const name = 'v1';\n");
  await tick();
  return { dir, file };
}

test('after the process has loaded, only different bytes count as a change', async () => {
  const { dir, file } = await folder();
  const gone = path.join(dir, 'gone.ts');
  const launched = new LaunchedContent([file, gone]);
  launched.markLoaded();
  await tick();

  writeFileSync(file, "export const name = 'v1';\n");
  assert.deepEqual(launched.differing([file]), [], 'rewritten in place with the same bytes');
  const temp = path.join(dir, '.app.ts.tmp');
  writeFileSync(temp, "export const name = 'v1';\n");
  renameSync(temp, file);
  assert.deepEqual(launched.differing([file]), [], 'an atomic save of the same bytes');
  utimesSync(file, new Date(), new Date());
  assert.deepEqual(launched.differing([file]), [], 'touched');
  assert.deepEqual(launched.differing([gone]), [], 'missing then, missing now');

  writeFileSync(file, "export const name = 'v2';\n");
  assert.deepEqual(launched.differing([file, gone]), [file], 'different bytes');
  writeFileSync(gone, 'export {};\n');
  assert.deepEqual(launched.differing([gone]), [gone], 'a file that appeared');
  assert.deepEqual(launched.differing([path.join(dir, 'other.ts')]), [path.join(dir, 'other.ts')], 'a file it knows nothing of counts as changed');
  unlinkSync(file);
  assert.deepEqual(launched.differing([file]), [file], 'a file that went');
});

test('a file rewritten while the process may still be reading counts as changed, even with the same bytes', async () => {
  const { file } = await folder();
  const launched = new LaunchedContent([file]);
  assert.deepEqual(launched.differing([file]), [], 'nothing was written: a duplicate event');
  writeFileSync(file, '');
  writeFileSync(file, "export const name = 'v1';\n"); // the process may have read it empty
  assert.deepEqual(launched.differing([file]), [file], 'before the process loaded');
  launched.markLoaded();
  assert.deepEqual(launched.differing([file]), [file], 'the write happened before the process finished loading');
});

test('a file left alone while the process loaded stays known', async () => {
  const { file } = await folder();
  const launched = new LaunchedContent([file]);
  launched.markLoaded();
  await tick();
  writeFileSync(file, "export const name = 'v1';\n");
  assert.deepEqual(launched.differing([file]), []);
});

test('fingerprints are of the bytes; the scan lists what the watcher reports', async () => {
  const { dir, file } = await folder();
  assert.equal(contentFingerprint(file), contentFingerprint(file));
  assert.equal(contentFingerprint(path.join(dir, 'nope.ts')), 'missing');
  mkdirSync(path.join(dir, 'routes'));
  mkdirSync(path.join(dir, 'node_modules', 'x'), { recursive: true });
  mkdirSync(path.join(dir, '.cache'));
  writeFileSync(path.join(dir, 'routes', 'items.ts'), 'export {};\n');
  writeFileSync(path.join(dir, 'routes', 'items.test.ts'), 'export {};\n');
  writeFileSync(path.join(dir, 'node_modules', 'x', 'index.js'), '');
  writeFileSync(path.join(dir, '.cache', 'a.js'), '');
  writeFileSync(path.join(dir, 'notes.md'), '');
  assert.deepEqual(sourceFilesUnder([dir]).sort(), [file, path.join(dir, 'routes', 'items.ts')].sort());
  assert.deepEqual(sourceFilesUnder([path.join(dir, 'absent')]), []);
});

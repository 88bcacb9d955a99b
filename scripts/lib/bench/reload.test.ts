import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { editLiteral, findLiteral } from './reload.ts';

test('the reload edit finds the quoted string outside tests and replaces every occurrence, keeping the quotes', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-reload-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'app.test.ts'), `expect('Laptop')`);
  writeFileSync(path.join(dir, 'data', 'catalogue.ts'), `export const items = [{ name: "Laptop" }, { name: "Laptop bag" }, { alt: "Laptop" }];`);
  const target = findLiteral(dir, 'Laptop');
  assert.deepEqual(target, { file: path.join('data', 'catalogue.ts'), literal: '"Laptop"' });
  const edited = editLiteral(`[{ name: "Laptop" }, { name: "Laptop bag" }, { alt: "Laptop" }]`, target!, 'Laptop (edit 3)');
  assert.equal(edited, `[{ name: "Laptop (edit 3)" }, { name: "Laptop bag" }, { alt: "Laptop (edit 3)" }]`);
  assert.equal(findLiteral(dir, 'Tablet'), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

test('the folders a process made are gone once it exits, even when it fails', () => {
  const helper = path.join(import.meta.dirname, 'temp-dirs.ts');
  for (const exitCode of [0, 1]) {
    const program = `import { tempDir } from ${JSON.stringify(helper)}; const a = tempDir('temp-dirs-test-'); tempDir('temp-dirs-test-'); console.log(a); process.exitCode = ${exitCode};`;
    let out: string;
    try {
      out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
    } catch (err) {
      out = String((err as { stdout: string }).stdout);
    }
    const dir = out.trim();
    assert.match(path.basename(dir), /^temp-dirs-test-/, 'the prefix names the folder');
    assert.equal(existsSync(dir), false, `exit ${exitCode}: ${dir} was removed`);
  }
});

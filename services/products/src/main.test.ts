import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

test('main prints the listening line with real ports (whatever LOG_LEVEL says), serves, and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, LOG_LEVEL: 'error', PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', POD_NAME: 'p1', SHUTDOWN_TIMEOUT_MS: '5000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: child.stdout! });
    let listening: { port: number; adminPort: number; service: string } | undefined;
    for await (const line of lines) {
      const parsed = JSON.parse(line) as { msg: string; port: number; adminPort: number; service: string };
      if (parsed.msg === 'listening') {
        listening = parsed;
        break;
      }
    }
    assert.ok(listening);
    assert.equal(listening.service, 'products');
    const res = await fetch(`http://127.0.0.1:${listening.port}/products/101`);
    assert.equal(((await res.json()) as { name: string }).name, 'Laptop');
    const admin = await fetch(`http://127.0.0.1:${listening.adminPort}/admin/stats`);
    assert.deepEqual(await admin.json(), { requests: 1 });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a bad setting stops main with a message naming the variable', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, PORT: 'eighty' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(out, /PORT must be an integer/);
});

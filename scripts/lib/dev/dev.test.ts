// End-to-end tests of `npm run dev` (scripts/dev.ts) with real services on a moved port block, so a
// developer's own dev run on 5000–5105 is never touched.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../versions.ts';
import { probePort } from './ports.ts';
import { commandLine, isAlive, waitUntil } from '../../../test/support/dev-run.ts';

async function freeBlock(offsets: number[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const codes = await Promise.all(offsets.map((o) => probePort(base + o, '127.0.0.1')));
    if (codes.every((c) => c === null)) return base;
  }
  throw new Error('found no free port block in 20 tries');
}

interface Dev {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runDev(args: string[], t: { after: (fn: () => unknown) => void }): Dev {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => ((output += c.toString()), (stdout += c.toString())));
  child.stderr!.on('data', (c: Buffer) => ((output += c.toString()), (stderr += c.toString())));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      await exited;
    }
  });
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitFor(dev: Dev, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(dev.output())) return;
    if (dev.child.exitCode !== null) break;
    await sleep(50);
  }
  assert.fail(`npm run dev did not print ${pattern} within ${timeoutMs} ms:\n${dev.output()}`);
}

/** Pids of processes started with PORT=<port> in their environment (the dev services of this test). */
function processesWithPort(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (environ.includes(`PORT=${port}`)) pids.push(Number(entry));
    } catch {
      // another user's process, or gone
    }
  }
  return pids;
}

test('npm run dev starts the chosen services on the moved ports, serves them, and Ctrl-C leaves nothing running', async (t) => {
  const base = await freeBlock([1, 2, 101, 102]);
  const dev = runDev(['--only', 'users,products', '--port-base', String(base)], t);
  await waitFor(dev, /all services are listening/, 90_000);
  assert.match(dev.output(), new RegExp(`users +http://127\\.0\\.0\\.1:${base + 1} +admin http://127\\.0\\.0\\.1:${base + 101}`));
  assert.match(dev.output(), /^users +\| \d\d:\d\d:\d\d listening port=\d+/m, 'service lines carry the service prefix, in readable form');

  const user = await fetch(`http://127.0.0.1:${base + 1}/users/1`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(user.status, 200);
  assert.equal(((await user.json()) as { name: string }).name, 'Alice');
  const product = await fetch(`http://127.0.0.1:${base + 2}/products/101`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(((await product.json()) as { name: string }).name, 'Laptop');
  const stats = await fetch(`http://127.0.0.1:${base + 102}/admin/stats`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(stats.status, 200, 'the admin API is on the moved admin port');
  const servicePids = [...processesWithPort(base + 1), ...processesWithPort(base + 2)];
  assert.ok(servicePids.length >= 2, 'the service processes carry their PORT');

  process.kill(dev.child.pid!, 'SIGINT');
  const code = await Promise.race([dev.exited, sleep(30_000, undefined, { ref: false }).then(() => 'timeout' as const)]);
  assert.equal(code, 0, `npm run dev exited with ${code}:\n${dev.output()}`);
  assert.match(dev.output(), /every service has stopped/);
  // A zombie (exited, not yet reaped by its new parent) runs nothing and holds no port: it counts as gone.
  const gone = await waitUntil(() => servicePids.every((pid) => !isAlive(pid)), 10_000);
  assert.ok(gone, `still running after Ctrl-C: ${servicePids.filter(isAlive).map((pid) => `${pid} ${commandLine(pid)}`).join('; ')}`);
  for (const port of [base + 1, base + 2, base + 101, base + 102]) assert.equal(await probePort(port, '127.0.0.1'), null, `port ${port} is still held`);
});

test('npm run dev refuses a busy port by number and service, and starts nothing', async (t) => {
  const base = await freeBlock([2, 102]);
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(base + 2, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const dev = runDev(['--only', 'products', '--port-base', String(base)], t);
  const code = await Promise.race([dev.exited, sleep(30_000, undefined, { ref: false }).then(() => 'timeout' as const)]);
  assert.equal(code, 1, dev.output());
  assert.match(dev.output(), new RegExp(`port ${base + 2} \\(products HTTP\\) is already in use on 127\\.0\\.0\\.1`));
  assert.match(dev.output(), /nothing was started/);
  assert.doesNotMatch(dev.output(), /listening/);
  assert.equal(await probePort(base + 102, '127.0.0.1'), null, 'the admin port was not taken either');
});

test('npm run dev refuses a port base that puts a port on one browsers block, and names it', async (t) => {
  const dev = runDev(['--port-base', '6000', '--dry-run'], t);
  assert.equal(await dev.exited, 1, dev.output());
  assert.match(dev.output(), /port 6000 \(storefront HTTP\) is one browsers refuse to open \(x11; Chrome shows ERR_UNSAFE_PORT\)/);
  assert.match(dev.output(), /--port-base 6100/);
});

test('npm run dev -- --json-logs: stdout is only the services\' JSON lines, unprefixed, as jq reads them', async (t) => {
  const base = await freeBlock([1, 101]);
  const dev = runDev(['--json-logs', '--only', 'users', '--port-base', String(base)], t);
  await waitFor(dev, /all services are listening/, 60_000);
  const user = await fetch(`http://127.0.0.1:${base + 1}/users/1`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(user.status, 200);
  process.kill(dev.child.pid!, 'SIGINT');
  assert.equal(await Promise.race([dev.exited, sleep(30_000, undefined, { ref: false }).then(() => 'timeout' as const)]), 0, dev.output());
  const lines = dev.stdout().split('\n').filter(Boolean);
  const entries = lines.map((line) => {
    assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line}`);
    return JSON.parse(line) as { service?: string; msg?: string; path?: string };
  });
  assert.ok(entries.every((e) => e.service === 'users'), 'each line names its service');
  assert.deepEqual(
    ['listening', 'request', 'draining', 'stopped'].map((msg) => entries.some((e) => e.msg === msg)),
    [true, true, true, true],
    `the start, the request, the drain and the stop are all there:\n${dev.stdout()}`,
  );
  assert.match(dev.stderr(), /dev +\| all services are listening/, "the runner's own lines go to stderr");
  assert.doesNotMatch(dev.stdout(), /^dev +\|/m);
});

test('npm run dev -- --dry-run prints the plan and starts nothing', async (t) => {
  const dev = runDev(['--dry-run', '--only', 'orders', '--port-base', '7000'], t);
  assert.equal(await dev.exited, 0, dev.output());
  assert.match(dev.output(), /orders {2}http:\/\/127\.0\.0\.1:7003 {2}\(admin http:\/\/127\.0\.0\.1:7103\)/);
  assert.match(dev.output(), /USERS_URL=http:\/\/127\.0\.0\.1:7001/);
});

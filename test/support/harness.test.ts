import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startShop, UNSTARTED_UPSTREAM_URL } from './harness.ts';

// Fixture services written to a temp dir: they follow the service contract (listening line, PORT=0)
// with nothing but node:http, so the harness is tested without the real shop.
const FAKE_SERVICE = `
import http from 'node:http';
const name = process.env.FAKE_NAME;
const server = http.createServer((req, res) => {
  console.log(JSON.stringify({ msg: 'request', path: req.url }));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ name, usersUrl: process.env.USERS_URL ?? null, paymentsUrl: process.env.PAYMENTS_URL ?? null }));
});
const admin = http.createServer((req, res) => res.end('admin'));
if (!process.env.IGNORE_SIGTERM) {
  process.on('SIGTERM', () => { server.close(); admin.close(); process.exit(0); });
} else {
  process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
}
if (process.env.CRASH) { console.error('boom: bad setting CRASH'); process.exit(3); }
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  admin.listen(Number(process.env.ADMIN_PORT), '127.0.0.1', () => {
    console.log('plain text line');
    console.log(JSON.stringify({ msg: 'listening', service: name, port: server.address().port, adminPort: admin.address().port }));
  });
});
`;

function fixtureDir(t: { after: (fn: () => void) => void }, names: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-harness-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of names) {
    mkdirSync(path.join(dir, name, 'src'), { recursive: true });
    writeFileSync(path.join(dir, name, 'src', 'main.ts'), FAKE_SERVICE);
  }
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('starts callers after their upstreams, wires URLs, captures logs, restarts on the same port and stops all', async (t) => {
  const servicesDir = fixtureDir(t, ['orders', 'users', 'payments']);
  const shop = await startShop({
    servicesDir,
    services: ['orders', 'users'],
    serviceEnv: { orders: { FAKE_NAME: 'orders' }, users: { FAKE_NAME: 'users' } },
  });
  t.after(() => shop.stop());

  assert.deepEqual(new Set(shop.names), new Set(['orders', 'users']));
  const body = (await (await fetch(`${shop.urls.orders}/hello`)).json()) as Record<string, unknown>;
  assert.equal(body.name, 'orders');
  assert.equal(body.usersUrl, shop.urls.users, 'orders is given the URL of the users it started first');
  assert.equal(body.paymentsUrl, UNSTARTED_UPSTREAM_URL, 'an upstream not started points at a closed port');
  assert.equal(await (await fetch(`${shop.adminUrls.users}/`)).text(), 'admin');

  await shop.waitForLog('orders', (l) => l.json?.path === '/hello');
  assert.ok(shop.logs('orders').some((l) => l.raw === 'plain text line' && l.json === undefined), 'non-JSON lines are kept raw');
  assert.ok(shop.jsonLogs('orders').some((j) => j.msg === 'listening'));

  const oldPid = shop.pid('users')!;
  const oldUrl = shop.urls.users;
  await shop.restart('users');
  assert.notEqual(shop.pid('users'), oldPid);
  assert.equal(alive(oldPid), false);
  assert.equal(shop.urls.users, oldUrl, 'a restart keeps the port');
  assert.equal(((await (await fetch(`${shop.urls.users}/again`)).json()) as { name: string }).name, 'users');

  const exit = await shop.kill('users');
  assert.equal(exit.code, 0);
  assert.equal(shop.isRunning('users'), false);

  const pids = shop.names.map((n) => shop.pid(n)!);
  await shop.stop();
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still running after stop()`);
});

test('a service that dies before listening fails the start with its stderr, and nothing is left running', async (t) => {
  const servicesDir = fixtureDir(t, ['users', 'products']);
  await assert.rejects(
    startShop({ servicesDir, services: ['users', 'products'], serviceEnv: { products: { CRASH: '1' } }, stopTimeoutMs: 2_000 }),
    (err: Error) => {
      assert.match(err.message, /products exited before listening/);
      assert.match(err.message, /boom: bad setting CRASH/);
      return true;
    },
  );
});

test('stop() escalates to SIGKILL when a service ignores SIGTERM', async (t) => {
  const servicesDir = fixtureDir(t, ['users']);
  const shop = await startShop({ servicesDir, services: ['users'], env: { IGNORE_SIGTERM: '1', FAKE_NAME: 'users' }, stopTimeoutMs: 500 });
  t.after(() => shop.stop());
  const pid = shop.pid('users')!;
  await shop.stop();
  assert.equal(alive(pid), false);
  assert.equal((await shop.exited('users')).signal, 'SIGKILL');
});

test('an unknown service name is refused before anything starts', async (t) => {
  const servicesDir = fixtureDir(t, ['users']);
  await assert.rejects(startShop({ servicesDir, services: ['nope'] }), /unknown service "nope"/);
});

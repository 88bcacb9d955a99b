import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { createAdminApp, createRequestStats, createSwitches } from './switches.ts';

const off = { latencyMs: 0, latencyPercent: 100, errorPercent: 0, errorStatus: 503, alwaysFail: false };

function appWith(switches: ReturnType<typeof createSwitches>) {
  const app = new Hono();
  app.use('*', switches.middleware);
  app.get('/x', (c) => c.json({ ok: true }));
  return app;
}

test('error share follows the random source and uses the status', async () => {
  const rolls = [0.05, 0.5, 0.09, 0.95];
  let i = 0;
  const switches = createSwitches({ ...off, errorPercent: 10, errorStatus: 502 }, { random: () => rolls[i++ % rolls.length]! });
  const app = appWith(switches);
  const statuses: number[] = [];
  for (let n = 0; n < rolls.length; n++) statuses.push((await app.request('/x')).status);
  assert.deepEqual(statuses, [502, 200, 502, 200]);
});

test('latency is added to the configured share only', async () => {
  const slept: number[] = [];
  const rolls = [0.2, 0.8];
  let i = 0;
  const switches = createSwitches({ ...off, latencyMs: 300, latencyPercent: 50 }, {
    random: () => rolls[i++]!,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  const app = appWith(switches);
  await app.request('/x');
  await app.request('/x');
  assert.deepEqual(slept, [300]);
});

test('always-fail fails every request with the error status', async () => {
  const app = appWith(createSwitches({ ...off, alwaysFail: true, errorStatus: 500 }, { random: () => 0.99 }));
  for (let n = 0; n < 3; n++) {
    const res = await app.request('/x');
    assert.equal(res.status, 500);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'injected_failure');
  }
});

test('admin API reads, changes and validates the switches', async () => {
  const switches = createSwitches(off);
  const stats = createRequestStats();
  const admin = createAdminApp({ switches, stats });
  assert.deepEqual(await (await admin.request('/admin/switches')).json(), off);
  const put = (body: string) => admin.request('/admin/switches', { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
  const updated = await put(JSON.stringify({ errorPercent: 25, alwaysFail: true }));
  assert.equal(updated.status, 200);
  assert.deepEqual(await updated.json(), { ...off, errorPercent: 25, alwaysFail: true });
  assert.equal(switches.get().errorPercent, 25);
  for (const bad of ['{"errorPercent":101}', '{"errorStatus":200}', '{"latencyMs":-1}', '{"alwaysFail":"yes"}', '{"nope":1}', '{bad', '{"__proto__":{}}']) {
    const res = await put(bad);
    assert.equal(res.status, 400, bad);
  }
  assert.equal(switches.get().errorPercent, 25);
});

test('admin stats count and reset', async () => {
  const stats = createRequestStats();
  const admin = createAdminApp({ switches: createSwitches(off), stats });
  stats.increment();
  stats.increment();
  assert.deepEqual(await (await admin.request('/admin/stats')).json(), { requests: 2 });
  assert.equal((await admin.request('/admin/stats/reset', { method: 'POST' })).status, 415, 'a simple POST (a page could send it) is refused');
  assert.equal(stats.requests(), 2);
  assert.deepEqual(await (await admin.request('/admin/stats/reset', { method: 'POST', headers: { 'content-type': 'application/json' } })).json(), { requests: 0 });
  stats.increment();
  assert.deepEqual(await (await admin.request('/admin/stats', { method: 'DELETE' })).json(), { requests: 0 });
  assert.equal(stats.requests(), 0);
  assert.equal((await admin.request('/admin/other')).status, 404);
});

test('the admin port answers only to IP literals, localhost and named hosts (DNS rebinding)', async () => {
  const admin = createAdminApp({ switches: createSwitches(off), stats: createRequestStats(), allowedHosts: ['orders-admin.internal'] });
  for (const host of ['127.0.0.1:5103', 'localhost:5103', '[::1]:5103', '10.42.0.7:9090', 'orders-admin.internal']) {
    assert.equal((await admin.request('http://x/admin/stats', { headers: { host } })).status, 200, host);
  }
  for (const host of ['evil.example:5103', 'rebind.attacker.test', '127.0.0.1.nip.io:5103']) {
    const res = await admin.request('http://x/admin/switches', { method: 'PUT', headers: { host, 'content-type': 'application/json' }, body: '{"alwaysFail":true}' });
    assert.equal(res.status, 403, host);
  }
});

test('switches changed at run time take effect on the next request, and turning them off restores the pass-through', async () => {
  const slept: number[] = [];
  const switches = createSwitches(off, { random: () => 0, sleep: async (ms) => void slept.push(ms) });
  const app = appWith(switches);
  assert.equal((await app.request('/x')).status, 200);
  switches.update({ errorPercent: 100, errorStatus: 503 });
  assert.equal((await app.request('/x')).status, 503);
  switches.update({ errorPercent: 0, latencyMs: 25 });
  assert.equal((await app.request('/x')).status, 200);
  assert.deepEqual(slept, [25], 'latency alone engages the switches');
  switches.update({ latencyMs: 0, alwaysFail: true });
  assert.equal((await app.request('/x')).status, 503);
  switches.update({ alwaysFail: false });
  assert.equal((await app.request('/x')).status, 200);
  assert.deepEqual(slept, [25]);
});

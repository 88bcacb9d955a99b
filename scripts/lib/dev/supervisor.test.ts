// The supervisor on one real, tiny service (a Node script in a temp folder): a save restarts it
// once and says so once, a save of the same bytes restarts nothing, and a save made while a
// restart is under way is served by that restart without a second "restarting" note.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePortBase, isAlive, waitUntil } from '../../../test/support/dev-run.ts';
import { tempDir } from '../../../test/support/temp-dirs.ts';
import { startSupervisor } from './supervisor.ts';

/** Serves its marker; on SIGTERM it drains for DRAIN_MS, so a test can save while it goes down. */
const service = (marker: string) => `const MARKER = ${JSON.stringify(marker)};
import http from 'node:http';
const DRAIN_MS = 800;
const answer = (body) => (req, res) => res.end(req.url === '/healthz' ? 'ok' : body);
const main = http.createServer(answer(MARKER));
const admin = http.createServer(answer('admin'));
await new Promise((r) => main.listen(Number(process.env.PORT), '127.0.0.1', r));
await new Promise((r) => admin.listen(Number(process.env.ADMIN_PORT), '127.0.0.1', r));
console.log(JSON.stringify({ msg: 'listening', marker: MARKER }));
process.once('SIGTERM', () => setTimeout(() => { main.close(); admin.close(); main.closeAllConnections(); admin.closeAllConnections(); }, DRAIN_MS));
`;

async function served(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return await res.text();
  } catch {
    return '';
  }
}

test('one restart per real save, none for the same bytes, and a save during a restart joins it', async (t) => {
  const dir = tempDir('shopmesh-supervisor-');
  mkdirSync(path.join(dir, 'src'));
  const main = path.join(dir, 'src', 'main.mjs');
  writeFileSync(main, service('v1'));
  const base = await freePortBase([0, 1]);
  const notes: string[] = [];
  const lines: string[] = [];
  const supervisor = startSupervisor({
    plan: [{
      service: 'tiny',
      port: base,
      adminPort: base + 1,
      url: `http://127.0.0.1:${base}`,
      adminUrl: `http://127.0.0.1:${base + 1}`,
      command: process.execPath,
      args: ['src/main.mjs'],
      watch: ['src'],
      env: { PORT: String(base), ADMIN_PORT: String(base + 1) },
    }],
    cwd: dir,
    inheritedEnv: {},
    onLine: (_service, line) => lines.push(line),
    note: (line) => notes.push(line),
    stopTimeoutMs: 3_000,
  });
  t.after(() => supervisor.stop(true));
  const log = () => `notes:\n${notes.join('\n')}\nservice lines:\n${lines.join('\n')}`;
  const restartNotes = () => notes.filter((n) => /^tiny: src\/main\.mjs changed; restarting$/.test(n)).length;
  const url = `http://127.0.0.1:${base}/`;

  const ready = await Promise.race([supervisor.ready.then(() => true), sleep(10_000, false, { ref: false })]);
  assert.ok(ready, `the service answers within 10 s\n${log()}`);
  assert.equal(await served(url), 'v1');
  const [firstPid] = supervisor.pids();

  // (a) The same bytes, in place and twice: no restart. The watcher reports a batch 60 ms after the
  // last event; a restart would be noted at once, so 500 ms of quiet is a clear "no".
  writeFileSync(main, service('v1'));
  await sleep(100);
  writeFileSync(main, service('v1'));
  await sleep(500);
  assert.equal(restartNotes(), 0, `a save of the same bytes restarts nothing\n${log()}`);
  assert.deepEqual(supervisor.pids(), [firstPid]);

  // (b) Two different saves, the second while the old process is still draining.
  writeFileSync(main, service('v2'));
  assert.ok(await waitUntil(() => restartNotes() === 1, 5_000, 10), `the first save restarts\n${log()}`);
  writeFileSync(main, service('v3'));
  assert.ok(isAlive(firstPid!), 'the second save lands while the old process is still going down');
  assert.ok(await waitUntil(async () => (await served(url)) === 'v3', 10_000, 100), `the restart serves the latest save\n${log()}`);
  assert.ok(!lines.some((l) => l.includes('"marker":"v2"')), 'no process was started for the save that the restart under way picked up');
  assert.equal(restartNotes(), 1, `one note for the restart that happened\n${log()}`);
  const [secondPid] = supervisor.pids();
  assert.notEqual(secondPid, firstPid);
  assert.ok(await waitUntil(() => notes.some((n) => /^tiny is serving the new code/.test(n)), 3_000), log());

  // (c) A real change after that restarts again.
  writeFileSync(main, service('v4'));
  assert.ok(await waitUntil(async () => (await served(url)) === 'v4', 10_000, 100), `a later save restarts again\n${log()}`);
  assert.equal(restartNotes(), 2, log());
  assert.notEqual(supervisor.pids()[0], secondPid);

  await supervisor.stop();
  assert.deepEqual(supervisor.pids(), [], 'the service is stopped');
});

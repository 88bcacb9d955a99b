// How `npm run dev` stops, on real process trees: npm → sh → node dev.ts → service, in its own
// process group as a terminal would start it. Whichever process gets the signal (or dies), every
// service drains once and no process of the tree is left, and no port stays open.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandLine, freePortBase, isAlive, portsClosed, startDev, waitForOutput, waitUntil, type DevRun } from '../../../test/support/dev-run.ts';

const USERS_OFFSETS = [1, 101];

interface Tree {
  npm: number;
  /** The shell npm runs the script line in. */
  sh: number;
  dev: number;
  service: number;
  all: number[];
}

/** The run's processes by role, read from their command lines. */
function roles(run: DevRun): Tree {
  const all = run.tree();
  const find = (what: string, test: (cmd: string) => boolean) => {
    const pid = all.find((p) => test(commandLine(p)));
    assert.ok(pid, `no ${what} process under npm: ${all.map((p) => `${p} ${commandLine(p)}`).join('\n')}`);
    return pid;
  };
  return {
    npm: run.child.pid!,
    sh: find('sh', (c) => /^sh -c .*scripts\/dev\.ts/.test(c)),
    dev: find('dev.ts', (c) => /^\S*node --import tsx scripts\/dev\.ts/.test(c)),
    service: find('service', (c) => c.includes('services/users/src/main.ts')),
    all,
  };
}

async function startUsers(t: { after: (fn: () => unknown) => void }): Promise<{ run: DevRun; tree: Tree; ports: number[] }> {
  const base = await freePortBase(USERS_OFFSETS);
  const run = startDev({ args: ['--only', 'users', '--port-base', String(base)], viaNpm: true }, t);
  await waitForOutput(run, /all services are listening/, 60_000);
  return { run, tree: roles(run), ports: USERS_OFFSETS.map((o) => base + o) };
}

/** Every process of the tree gone and every port closed, within a bound. */
async function assertAllGone(run: DevRun, tree: Tree, ports: number[]): Promise<void> {
  const gone = await waitUntil(() => [tree.npm, ...tree.all].every((p) => !isAlive(p)), 15_000);
  const left = [tree.npm, ...tree.all].filter(isAlive).map((p) => `${p} ${commandLine(p)}`);
  assert.ok(gone, `processes left running:\n${left.join('\n')}\n--- output:\n${run.output()}`);
  assert.ok(await portsClosed(ports), `a port of ${ports.join(', ')} is still open`);
  // The last lines may still sit in the pipe when the last process is gone: read them before judging.
  await Promise.race([run.closed, sleep(5_000, undefined, { ref: false })]);
}

function assertDrainedOnce(run: DevRun): void {
  const out = run.output();
  assert.equal(out.match(/users +\| \S+ draining reason=SIGTERM/g)?.length, 1, `the service drains exactly once:\n${out}`);
  assert.match(out, /users +\| \S+ stopped clean=true/);
  assert.doesNotMatch(out, /again: killing/, 'one signal is never taken for two');
  assert.match(out, /every service has stopped/);
}

// Concurrent: each case has its own port block and its own process tree.
describe('npm run dev stops everything, whoever is signalled', { concurrency: 4 }, () => {
  test('Ctrl-C in a terminal (SIGINT to the whole process group) is one graceful stop', async (t) => {
    const { run, tree, ports } = await startUsers(t);
    process.kill(-tree.npm, 'SIGINT');
    await assertAllGone(run, tree, ports);
    assertDrainedOnce(run);
    assert.equal(run.output().match(/SIGINT: stopping every service/g)?.length, 1, run.output());
    assert.match(run.output(), /press Ctrl-C again after 2 s to kill them at once/);
  });

  for (const [signal, target] of [
    ['SIGTERM', 'npm'],
    ['SIGHUP', 'npm'],
    ['SIGTERM', 'sh'],
    ['SIGHUP', 'sh'],
    ['SIGTERM', 'dev'],
    ['SIGTERM', 'service'],
  ] as const) {
    test(`${signal} to ${target} stops every service`, async (t) => {
      const { run, tree, ports } = await startUsers(t);
      process.kill(tree[target], signal);
      await assertAllGone(run, tree, ports);
      if (target !== 'service') assertDrainedOnce(run);
      else assert.match(run.output(), /users was stopped from outside \(exit code 0\): stopping every service/);
    });
  }

  test('SIGKILL to npm: dev.ts sees its starter gone and stops every service', async (t) => {
    const { run, tree, ports } = await startUsers(t);
    process.kill(tree.npm, 'SIGKILL');
    await assertAllGone(run, tree, ports);
    assertDrainedOnce(run);
    // npm names its process after the command line; the kernel keeps 15 characters of it.
    assert.match(run.output(), /npm run dev.* \(pid \d+\), which started this run, exited: stopping every service/);
  });

  test('SIGKILL to dev.ts: the service notices its runner is gone and drains (no orphan)', async (t) => {
    const { run, tree, ports } = await startUsers(t);
    process.kill(tree.dev, 'SIGKILL');
    await assertAllGone(run, tree, ports);
  });

  test('SIGINTs within the grace period are one Ctrl-C; one after it kills a service still draining', async (t) => {
    const base = await freePortBase(USERS_OFFSETS);
    // A long drain deadline, so the service is still draining when the second Ctrl-C comes.
    const run = startDev({ args: ['--only', 'users', '--port-base', String(base)], env: { SHUTDOWN_TIMEOUT_MS: '20000' } }, t);
    await waitForOutput(run, /all services are listening/, 60_000);
    const tree = { npm: run.child.pid!, sh: 0, dev: run.child.pid!, service: 0, all: run.tree() };
    // A request whose headers never end keeps the server from finishing its drain.
    const socket = net.connect(base + 1, '127.0.0.1');
    t.after(() => socket.destroy());
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('GET /users/1 HTTP/1.1\r\nHost: x\r\n');
    await sleep(100);

    const sentAt = Date.now();
    for (let i = 0; i < 3; i++) {
      process.kill(run.child.pid!, 'SIGINT'); // throws if the runner is already gone: it must not be
      await sleep(30);
    }
    await waitForOutput(run, /users +\| \S+ draining reason=SIGTERM/, 5_000);
    await sleep(Math.max(0, 2_200 - (Date.now() - sentAt)));
    assert.ok(isAlive(tree.all[0]!), `the service is still draining:\n${run.output()}`);
    assert.doesNotMatch(run.output(), /again: killing/, 'the repeats within 2 s were taken as the same Ctrl-C');
    process.kill(run.child.pid!, 'SIGINT');
    await assertAllGone(run, tree, USERS_OFFSETS.map((o) => base + o));
    assert.equal(await run.exited, 0);
    const out = run.output();
    assert.equal(out.match(/SIGINT: stopping every service/g)?.length, 1, out);
    assert.equal(out.match(/SIGINT again: killing every service now/g)?.length, 1, out);
    assert.doesNotMatch(out, /stopped clean=true/, 'the service was killed, not left to finish its drain');
    assert.ok(Date.now() - sentAt < 15_000, 'the kill did not wait for the 20 s drain deadline');
  });
});

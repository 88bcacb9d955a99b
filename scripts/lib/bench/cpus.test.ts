// The CPU split and wrk's summary: pure decisions and parsing, plus the real taskset and wrk where installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowedCpus, onServerCpu, parseAffinityMask, pinThisProcess, planCpus } from './cpus.ts';
import { commandWorks } from './machine.ts';
import { parseWrkOutput, runWrk, wrkSeconds } from './wrk.ts';

test('the servers get their own CPU only when taskset and two CPUs are there, and --no-pin wins', () => {
  const two = planCpus({ allowedCpus: [0, 1], hasTaskset: true, disabled: false });
  assert.deepEqual([two.loadCpu, two.serverCpu], [0, 1]);
  const restricted = planCpus({ allowedCpus: [2, 5, 7], hasTaskset: true, disabled: false });
  assert.deepEqual([restricted.loadCpu, restricted.serverCpu], [2, 5], 'only CPUs this process may use');
  for (const plan of [
    planCpus({ allowedCpus: [0, 1], hasTaskset: false, disabled: false }),
    planCpus({ allowedCpus: [0], hasTaskset: true, disabled: false }),
    planCpus({ allowedCpus: [0, 1], hasTaskset: true, disabled: true }),
  ]) {
    assert.equal(plan.serverCpu, undefined);
    assert.match(plan.note, /^not pinned/);
    assert.deepEqual(onServerCpu(plan, 'node', ['a.js']), { command: 'node', args: ['a.js'] });
    assert.doesNotThrow(pinThisProcess(plan), 'nothing to undo');
  }
  assert.deepEqual(onServerCpu(two, 'node', ['a.js']), { command: 'taskset', args: ['-c', '1', 'node', 'a.js'] });
});

test('an affinity mask becomes the CPU numbers', () => {
  assert.deepEqual(parseAffinityMask("pid 42's current affinity mask: 3"), [0, 1]);
  assert.deepEqual(parseAffinityMask("pid 42's current affinity mask: a0"), [5, 7]);
  assert.deepEqual(parseAffinityMask("pid 42's current affinity mask: 1,00000001"), [0, 32]);
  assert.equal(parseAffinityMask('taskset: failed'), undefined);
});

// Tests install nothing: .ci/run installs Debian's wrk (taskset comes with util-linux), and so does a contributor, once.
const missing = (tool: string, pkg: string): string | undefined => (commandWorks(tool, tool === 'wrk' ? ['-v'] : ['-V']) ? undefined : `${tool} is missing: install the Debian package ${pkg} (\`sudo apt install ${pkg}\`) (.ci/run does it for CI), then run this test again`);

test('pinning this process moves it to the load CPU and puts the old affinity back', () => {
  const why = missing('taskset', 'util-linux');
  assert.equal(why, undefined, why);
  const before = allowedCpus();
  const plan = planCpus({ allowedCpus: before, hasTaskset: true, disabled: false });
  if (plan.loadCpu === undefined) return assert.ok(before.length < 2);
  const restore = pinThisProcess(plan);
  try {
    assert.deepEqual(allowedCpus(), [plan.loadCpu]);
  } finally {
    restore();
  }
  assert.deepEqual(allowedCpus(), before);
});

test("wrk's summary gives the counts, errors included; a missing summary is an error", () => {
  const ok = parseWrkOutput(`Running 2s test @ http://127.0.0.1:1/p\n  1 threads and 32 connections\n  41000 requests in 2.00s, 8.1MB read\n  Non-2xx or 3xx responses: 12\n  Socket errors: connect 1, read 2, write 0, timeout 4\nRequests/sec:  20500.00\n`);
  assert.deepEqual(ok, { requests: 41000, seconds: 2, non2xx: 12, socketErrors: 7 });
  assert.equal(parseWrkOutput('  900 requests in 999.50ms, 1MB read\n').seconds, 0.9995);
  assert.deepEqual(parseWrkOutput('  10 requests in 1.01s, 1KB read\n'), { requests: 10, seconds: 1.01, non2xx: 0, socketErrors: 0 });
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /no "N requests in T" summary/);
  assert.deepEqual([wrkSeconds(500), wrkSeconds(2000), wrkSeconds(2001)], [1, 2, 3]);
});

test('the real wrk against a loopback server counts what the server answered', async (t) => {
  const why = missing('wrk', 'wrk');
  assert.equal(why, undefined, why);
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    res.writeHead(req.url === '/missing' ? 404 : 200).end('x');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const r = await runWrk({ url: `http://127.0.0.1:${port}/missing`, connections: 2, durationMs: 1_000 });
  assert.ok(r.requests > 0);
  assert.equal(r.non2xx, r.requests, 'every 404 is counted as an error');
  assert.ok(served >= r.requests, 'wrk never reports more than the server answered');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { StubBin } from './stubs.ts';

function runStub(stubs: StubBin, tool: string, args: string[]) {
  return spawnSync(path.join(stubs.dir, tool), args, { env: { ...process.env, ...stubs.env() }, encoding: 'utf8' });
}

test('a stub asks the real tool first: a command line the real helm refuses fails the call and is logged', () => {
  const stubs = new StubBin();
  const bad = runStub(stubs, 'helm', ['list', '--all-namespaces', '--all', '-o', 'json', '--kube-context', 'k3d-shopmesh']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /refused by the real helm: the real helm refuses it: Error: unknown flag: --all/);
  assert.deepEqual(stubs.refused().map((r) => r.args.includes('--all')), [true]);
  // The same call without the removed flag is answered from the stubs' state.
  const good = runStub(stubs, 'helm', ['list', '--all-namespaces', '-o', 'json', '--kube-context', 'k3d-shopmesh']);
  assert.equal(good.status, 0, good.stderr);
  assert.equal(good.stdout, '[]');
  assert.equal(stubs.refused().length, 1);
});

test('the real k3d judges k3d calls: an unknown flag fails, the real command line passes', () => {
  const stubs = new StubBin();
  assert.match(runStub(stubs, 'k3d', ['registry', 'create', 'shopmesh-registry.localhost', '--prot', '127.0.0.1:5050']).stderr, /refused by the real k3d: .*unknown flag: --prot/);
  const ok = runStub(stubs, 'k3d', ['registry', 'create', 'shopmesh-registry.localhost', '--port', '127.0.0.1:5050']);
  assert.equal(ok.status, 0, ok.stderr);
});

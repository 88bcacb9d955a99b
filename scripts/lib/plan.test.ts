import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, formatCommand, Runner, shellQuote } from './plan.ts';

function capture() {
  let text = '';
  return { out: { write: (t: string) => void (text += t) }, text: () => text };
}

test('shellQuote leaves plain words alone and quotes the rest', () => {
  assert.equal(shellQuote('k3d'), 'k3d');
  assert.equal(shellQuote('127.0.0.1:8080:80@loadbalancer'), '127.0.0.1:8080:80@loadbalancer');
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(formatCommand('helm', ['--set', 'x=a b']), "helm --set 'x=a b'");
});

test('dry-run records and prints mutating steps without running them', async () => {
  const io = capture();
  const runner = new Runner({ dryRun: true, out: io.out });
  let called = false;
  await runner.step('create cluster', async () => {
    const r = await runner.exec('definitely-not-a-real-binary', ['--flag', 'a b']);
    assert.equal(r.code, 0);
    const api = await runner.api('PATCH Namespace shop', async () => {
      called = true;
      return 1;
    });
    assert.equal(api, undefined);
  });
  assert.equal(called, false);
  assert.deepEqual(runner.plan, ["$ definitely-not-a-real-binary --flag 'a b'", 'api: PATCH Namespace shop']);
  assert.match(io.text(), /==> create cluster\n  \$ definitely-not-a-real-binary/);
});

test('dry-run shows the exact stdin a command gets and the content of a file it writes', async () => {
  const io = capture();
  const runner = new Runner({ dryRun: true, out: io.out });
  await runner.exec('kind', ['create', 'cluster', '--config', '-'], { input: 'kind: Cluster\nnodes:\n- role: control-plane\n' });
  await runner.api('write .cache/k3d-shopmesh.yaml', async () => 1, 'apiVersion: k3d.io/v1alpha5\nkind: Simple\n');
  assert.deepEqual(runner.plan, ['$ kind create cluster --config - <<stdin', 'api: write .cache/k3d-shopmesh.yaml']);
  assert.equal(
    io.text(),
    '$ kind create cluster --config - <<stdin\n  ┌──\n  │ kind: Cluster\n  │ nodes:\n  │ - role: control-plane\n  └──\n' +
      'api: write .cache/k3d-shopmesh.yaml\n  ┌──\n  │ apiVersion: k3d.io/v1alpha5\n  │ kind: Simple\n  └──\n',
  );
});

test('exec runs for real outside dry-run and returns output', async () => {
  const io = capture();
  const runner = new Runner({ out: io.out, interactive: false });
  const r = await runner.step('echo', () => runner.exec(process.execPath, ['-e', 'process.stdout.write("hi")']));
  assert.equal(r.stdout, 'hi');
  assert.match(io.text(), /… echo\n✓ echo \(\d+\.\ds\)\n/);
});

test('a failing command throws CommandError with the tail of its stderr', async () => {
  const runner = new Runner({ out: capture().out, interactive: false });
  await assert.rejects(
    runner.exec(process.execPath, ['-e', 'console.error("boom"); process.exit(3)']),
    (err) => err instanceof CommandError && err.result.code === 3 && /exit 3/.test(err.message) && /boom/.test(err.message),
  );
});

test('query runs even in dry-run, and tolerates failure', async () => {
  const runner = new Runner({ dryRun: true, out: capture().out });
  const r = await runner.query(process.execPath, ['-e', 'process.stdout.write("state"); process.exit(1)']);
  assert.equal(r.stdout, 'state');
  assert.equal(r.code, 1);
  assert.deepEqual(runner.plan, []);
});

test('a missing binary is reported by name', async () => {
  const runner = new Runner({ out: capture().out, interactive: false });
  await assert.rejects(runner.exec('shopmesh-no-such-tool', []), /shopmesh-no-such-tool/);
});

test('a failed step is marked and rethrown', async () => {
  const io = capture();
  const runner = new Runner({ out: io.out, interactive: false });
  await assert.rejects(runner.step('doomed', async () => { throw new Error('nope'); }), /nope/);
  assert.match(io.text(), /✗ doomed/);
});

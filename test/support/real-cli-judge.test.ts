// How the judge reads a tool's answer: each branch and each pattern, fed through small executables
// that print a line the real tools print. (real-cli.test.ts runs the real tools themselves.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deadEnvironment, firstLineMatching, judgeWithRealTool, SANDBOX_CONTEXTS, type RealCli } from './real-cli.ts';
import { tempDir } from './temp-dirs.ts';

const bin = tempDir('judge-bin-');
const workDir = tempDir('judge-work-');

/** Makes `<bin>/<tool>` print `stderr` and exit with `code`. */
function tool(name: RealCli, stderr: string, code: number, stdout = ''): void {
  const file = path.join(bin, name);
  const quoted = (t: string): string => `'${t.replace(/'/g, `'\\''`)}'`;
  writeFileSync(file, `#!/bin/sh\nprintf '%s' ${quoted(stdout)}\ncat >&2 <<'END'\n${stderr}\nEND\nexit ${code}\n`);
  chmodSync(file, 0o755);
}
const judge = (name: RealCli, args: string[] = ['x']) => judgeWithRealTool(bin, name, args, { workDir });

test('usage errors the CLIs print are refusals, in the tool\'s own words, whatever the exit code', () => {
  const lines = [
    'Error: unknown flag: --all',
    "Error: unknown shorthand flag: 'q' in -q",
    'Error: unknown command "lst" for "helm"',
    'Error: invalid argument "10" for "--timeout" flag: time: missing unit in duration "10"',
    'Error: flag needs an argument: --timeout',
    'Error: "helm list" accepts 0 arg(s), received 1',
    'Error: accepts at most 1 arg(s), received 2',
    'Error: requires at least 1 arg(s), only received 0',
    'Error: accepts between 1 and 2 arg(s), received 3',
    'Error: accepts 10 arg(s), received 11',
    'Error: accepts between 1 and 12 arg(s), received 13',
    'Error: required flag(s) "name" not set',
    'Error: if any flags in the group [username password] are set they must all be set; missing [password]',
    'error: --prune-allowlist must be used with --prune',
    'error: --all cannot be used with a resource name',
    'error: -o only works with get',
    'error: --raw is only valid with get',
  ];
  for (const line of lines) {
    tool('kubectl', `some context\n${line}\nmore`, 1);
    const v = judge('kubectl');
    assert.equal(v.accepted, false, line);
    assert.equal(v.reason, `the real kubectl refuses it: ${line}`);
    assert.equal(v.code, 1);
  }
  tool('helm', 'Error: unknown flag: --bogus', 0);
  assert.equal(judge('helm').accepted, false, 'a usage error printed with exit 0 is still a refusal');
  tool('helm', 'Error: unknown FLAG: --Bogus', 1);
  assert.match(judge('helm').reason ?? '', /refuses it/, 'matched without regard to case');
});

test('a failure only at the dead endpoint is acceptance; any other failure is a refusal with the last lines', () => {
  const dead = [
    'dial tcp 127.0.0.1:1: connect: connection refused',
    'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
    'Error: Kubernetes cluster unreachable: the server could not be reached',
    'Cannot connect to the Docker daemon at unix:///tmp/x/no-docker.sock.',
    'Is the docker daemon running?',
    'lookup registry.example: no such host',
    'dial unix /tmp/x: connect: permission denied',
    'open /tmp/x/docker.sock: no such file or directory',
    'failed to connect to the cluster',
    'failed to get docker info',
    'failed to list nodes',
    'failed to list clusters',
    'Unable to connect to the server: EOF',
  ];
  for (const line of dead) {
    tool('kind', `creating cluster\n${line}`, 1);
    const v = judge('kind');
    assert.equal(v.accepted, true, line);
    assert.equal(v.code, 1, line);
  }
  tool('k3d', 'one\ntwo\n\nthree\nfour', 4);
  const v = judge('k3d');
  assert.deepEqual([v.accepted, v.code, v.reason], [false, 4, 'the real k3d failed for a reason other than the dead endpoint: two | three | four']);
  tool('k3d', 'Error: no such file or directory: config.yaml', 1);
  assert.equal(judge('k3d').accepted, false, 'a missing file is not the dead Docker socket');
  tool('k3d', 'failed to parse the config', 1);
  assert.equal(judge('k3d').accepted, false, '"failed to" alone is not a dead endpoint');
});

test('exit 0 is acceptance, with everything the tool printed; a missing tool is a refusal that says how to get it', () => {
  tool('istioctl', 'a warning', 0, 'the output');
  assert.deepEqual(judge('istioctl'), { accepted: true, code: 0, output: 'the output\na warning' });
  const missing = judgeWithRealTool(path.join(bin, 'nowhere'), 'tilt', ['up'], { workDir });
  assert.deepEqual([missing.accepted, missing.code, missing.output], [false, null, ''], 'nothing ran, so nothing was printed');
  assert.match(missing.reason ?? '', /the real tilt is not in .*nowhere: run `npm run tools`/);
  // A file that is there but cannot run is a refusal, not a crash.
  writeFileSync(path.join(bin, 'tilt'), 'not a program');
  chmodSync(path.join(bin, 'tilt'), 0o644);
  const broken = judgeWithRealTool(bin, 'tilt', ['up'], { workDir });
  assert.deepEqual([broken.accepted, broken.code, broken.output], [false, null, '']);
  assert.match(broken.reason ?? '', /^running the real tilt failed: /);
});

test('the tool runs with dead endpoints, a bare PATH, the given stdin and working folder', () => {
  const file = path.join(bin, 'kubectl');
  writeFileSync(file, '#!/bin/sh\necho "home=$HOME kube=$KUBECONFIG docker=$DOCKER_HOST path=$PATH nocolor=$NO_COLOR cwd=$(pwd) args=$*"\ncat\n');
  chmodSync(file, 0o755);
  const v = judgeWithRealTool(bin, 'kubectl', ['apply', '-f', '-'], { workDir, stdin: 'kind: Pod' });
  assert.ok(v.accepted, v.reason);
  const here = path.resolve(workDir);
  assert.equal(
    v.output,
    `home=${here}/home kube=${here}/dead-kubeconfig docker=unix://${here}/no-docker.sock path=/usr/bin:/bin nocolor=1 cwd=${here} args=apply -f -\nkind: Pod`,
  );
  assert.equal(judgeWithRealTool(bin, 'kubectl', [], { workDir }).output.split('\n')[1], undefined, 'without stdin the tool reads nothing');
  const elsewhere = tempDir('judge-cwd-');
  assert.match(judgeWithRealTool(bin, 'kubectl', [], { workDir, cwd: elsewhere }).output, new RegExp(`cwd=${elsewhere}`));
});

test('the dead kubeconfig points every sandbox context at a port nothing listens on, and is written once', () => {
  const dir = tempDir('judge-dead-');
  const env = deadEnvironment(dir);
  const kubeconfig = readFileSync(env.KUBECONFIG!, 'utf8');
  assert.match(kubeconfig, /server: "https:\/\/127\.0\.0\.1:1"/);
  for (const context of SANDBOX_CONTEXTS) assert.match(kubeconfig, new RegExp(`- name: ${context}\\n  context: \\{cluster: dead, user: dead\\}`));
  assert.match(kubeconfig, new RegExp(`current-context: ${SANDBOX_CONTEXTS[0]}\\n$`));
  assert.ok(existsSync(env.HOME!), 'HOME exists, so tools can write their caches there');
  for (const key of ['HELM_CACHE_HOME', 'HELM_CONFIG_HOME', 'HELM_DATA_HOME', 'XDG_CONFIG_HOME', 'TILT_DEV_DIR']) assert.ok(env[key]!.startsWith(`${env.HOME}/`), key);
  writeFileSync(env.KUBECONFIG!, 'kept');
  deadEnvironment(dir);
  assert.equal(readFileSync(env.KUBECONFIG!, 'utf8'), 'kept', 'a second call keeps the file');
});

test('shopmesh\'s own helm rule: upgrade and install must wait for the resources; the tool is not even run', () => {
  const marker = path.join(workDir, 'helm-ran');
  writeFileSync(path.join(bin, 'helm'), `#!/bin/sh\ntouch ${JSON.stringify(marker)}\n`);
  chmodSync(path.join(bin, 'helm'), 0o755);
  for (const verb of ['upgrade', 'install']) {
    const none = judge('helm', [verb, 'istiod', 'chart']);
    assert.deepEqual([none.accepted, none.code, none.output], [false, null, '']);
    assert.match(none.reason ?? '', /^shopmesh rule: helm upgrade\/install without --wait/);
    assert.match(judge('helm', [verb, 'x', '--wait=hookOnly']).reason ?? '', /^shopmesh rule: helm --wait=hookOnly does not wait/);
    assert.match(judge('helm', [verb, 'x', '--wait=legacy']).reason ?? '', /^shopmesh rule: helm --wait=legacy/);
  }
  assert.equal(existsSync(marker), false, 'refused before the tool ran');
  for (const args of [['upgrade', 'x', '--wait'], ['install', 'x', '--wait=watcher'], ['list', '-A'], ['template', 'x']]) assert.equal(judge('helm', args).accepted, true, args.join(' '));
  assert.ok(existsSync(marker));
  tool('kubectl', '', 0);
  assert.equal(judge('kubectl', ['upgrade']).accepted, true, 'the rule is helm\'s only');
});

test('firstLineMatching: the first line that matches any pattern, trimmed', () => {
  assert.equal(firstLineMatching('a\n  second hit  \nfirst hit', [/hit/]), 'second hit');
  assert.equal(firstLineMatching('x\ny', [/z/, /w/]), undefined);
  assert.equal(firstLineMatching('one\ntwo', [/two/, /one/]), 'one', 'line order wins over pattern order');
});

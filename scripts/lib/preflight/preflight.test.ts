import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runner } from '../plan.ts';
import { k3dProvider } from '../providers/k3d.ts';
import { microk8sProvider } from '../providers/microk8s.ts';
import { StubBin } from '../../../test/support/stubs.ts';
import { failures, runPreflight, type PreflightDeps } from './index.ts';

const quiet = { write() {} };
const GiB = 1024 ** 3;
const deps: PreflightDeps = { ports: [], platform: 'linux', hostMemoryBytes: () => 16 * GiB, readSysctl: () => '8192' };

function stubbed(t: import('node:test').TestContext, state: ConstructorParameters<typeof StubBin>[0]): StubBin {
  const stubs = new StubBin(state);
  t.after(stubs.install());
  return stubs;
}

test('Docker without buildx stops up with the fix: the Dockerfile needs BuildKit', async (t) => {
  stubbed(t, { noBuildx: true });
  const checks = await runPreflight(new Runner({ out: quiet }), k3dProvider, {}, deps);
  const buildkit = checks.find((c) => c.name === 'buildkit');
  assert.ok(buildkit && !buildkit.ok && buildkit.severity === 'error');
  assert.match(buildkit.message, /RUN --mount/);
  assert.match(buildkit.fix ?? '', /docker-buildx-plugin/);
  assert.ok(failures(checks).includes(buildkit));
});

test('with buildx the BuildKit check passes and names the version', async (t) => {
  stubbed(t, {});
  const checks = await runPreflight(new Runner({ out: quiet }), k3dProvider, {}, deps);
  assert.match(checks.find((c) => c.name === 'buildkit')?.message ?? '', /BuildKit \(docker buildx v0\.30\.1\)/);
});

test('the microk8s provider checks for microk8s itself, and uses Docker only to build images', async (t) => {
  stubbed(t, {});
  const checks = await runPreflight(new Runner({ out: quiet }), microk8sProvider, {}, deps);
  const micro = checks.find((c) => c.name === 'microk8s');
  assert.ok(micro && !micro.ok && micro.severity === 'error', 'microk8s missing is an error');
  assert.match(micro.fix ?? '', /snap install microk8s/);
  assert.match(checks.find((c) => c.name === 'docker')?.message ?? '', /needed to build the images\)/);
  // The cluster runs on the host, so the host's memory counts, not Docker's.
  assert.match(checks.find((c) => c.name === 'memory')?.message ?? '', /this machine has 16\.0 GiB/);
});

test('microk8s present and stopped is fine: up starts it; its registry is named', async (t) => {
  stubbed(t, { microk8s: { running: false, addons: [] } });
  const checks = await runPreflight(new Runner({ out: quiet }), microk8sProvider, {}, deps);
  assert.match(checks.find((c) => c.name === 'microk8s')?.message ?? '', /installed \(.*\); images go to its registry addon at localhost:32000/);
});

test('low inotify limits name the real consumers, and on kind/k3d the shared kernel', async (t) => {
  stubbed(t, {});
  const low = { ...deps, readSysctl: () => '128' };
  const k3d = await runPreflight(new Runner({ out: quiet }), k3dProvider, {}, low);
  const micro = await runPreflight(new Runner({ out: quiet }), microk8sProvider, {}, low);
  const watches = (checks: typeof k3d) => checks.find((c) => c.name === 'inotify max_user_watches')!;
  assert.match(watches(k3d).message, /kubelet and containerd \(inside the node containers, which share this kernel\) and the file watchers of Tilt and live reload need 524288/);
  assert.doesNotMatch(watches(micro).message, /node containers/);
  assert.match(watches(k3d).fix ?? '', /sudo sysctl fs\.inotify\.max_user_watches=524288/);
});

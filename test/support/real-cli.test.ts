// The proof that the real-tool checks bite: each mistake that once passed every test (because stubs
// accepted any flag) is fed to the real CLI, and each is refused with the tool's own words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/versions.ts';
import { judgeWithRealTool, type RealCli } from './real-cli.ts';
import { tempDir } from './temp-dirs.ts';

const bin = path.join(repoRoot, '.bin');
const workDir = tempDir('real-cli-');
const judge = (tool: RealCli, args: string[], stdin?: string) => judgeWithRealTool(bin, tool, args, { workDir, ...(stdin !== undefined ? { stdin } : {}) });

const istiod = ['upgrade', '--install', 'istiod', 'oci://ghcr.io/istio/release/charts/istiod', '--version', '1.31.1', '-n', 'istio-system', '--kube-context', 'k3d-shopmesh'];

test('the commands the scripts really run are accepted: they fail only at the dead endpoint', () => {
  for (const [tool, args] of [
    ['helm', [...istiod, '--create-namespace', '--wait', '--timeout', '10m']],
    ['helm', ['list', '--all-namespaces', '-o', 'json', '--kube-context', 'k3d-shopmesh']],
    ['kubectl', ['--context', 'kind-shopmesh', 'apply', '--server-side', '--force-conflicts', '--field-manager', 'shopmesh', '-f', path.join(repoRoot, 'overlays', 'baseline', 'kustomization.yaml')]],
  ] as Array<[RealCli, string[]]>) {
    const v = judge(tool, args);
    assert.ok(v.accepted, `${tool} ${args.join(' ')}: ${v.reason}`);
  }
});

test('helm list --all (removed in Helm 4) is refused by the real helm', () => {
  const v = judge('helm', ['list', '--all-namespaces', '--all', '-o', 'json', '--kube-context', 'k3d-shopmesh']);
  assert.equal(v.accepted, false);
  assert.match(v.reason ?? '', /the real helm refuses it: Error: unknown flag: --all$/);
});

test('--create-namespaces (a typo of --create-namespace) is refused by the real helm', () => {
  const v = judge('helm', [...istiod, '--create-namespaces', '--wait']);
  assert.match(v.reason ?? '', /unknown flag: --create-namespaces/);
});

test('--timeout 10 (no unit) is refused by the real helm', () => {
  const v = judge('helm', [...istiod, '--wait', '--timeout', '10']);
  assert.match(v.reason ?? '', /invalid argument "10" for "--timeout" flag: time: missing unit in duration "10"/);
});

test('--wait=hookOnly is a valid Helm 4 strategy the real helm accepts, so shopmesh\'s own rule refuses it', () => {
  // The real helm gets as far as the cluster with it: no parser can see that it skips the resources.
  const raw = judgeWithRealTool(bin, 'helm', ['list', '--all-namespaces', '--kube-context', 'k3d-shopmesh'], { workDir });
  assert.ok(raw.accepted);
  const v = judge('helm', [...istiod, '--create-namespace', '--wait=hookOnly', '--timeout', '10m']);
  assert.equal(v.accepted, false);
  assert.match(v.reason ?? '', /^shopmesh rule: helm --wait=hookOnly does not wait for the release's resources/);
  assert.match(judge('helm', [...istiod, '--timeout', '10m']).reason ?? '', /without --wait/);
});

test('kubectl refuses an unknown flag, and kind refuses a config it would not load', () => {
  assert.match(judge('kubectl', ['--context', 'k3d-shopmesh', 'apply', '--server-sid', '-f', '-']).reason ?? '', /unknown flag: --server-sid/);
  const bad = judge('kind', ['create', 'cluster', '--name', 'shopmesh', '--config', '-', '--wait', '120s'], 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  extraPortMapings: []\n');
  assert.equal(bad.accepted, false, bad.output);
  // kind's own strict config loading, not a missing binary or the dead Docker.
  assert.match(bad.reason ?? '', /the real kind failed for a reason other than the dead endpoint: .*(extraPortMapings|unknown field)/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Runner } from '../plan.ts';
import { repoRoot } from '../versions.ts';
import { collectDiagnostics, DIAGNOSTIC_NAMESPACES, diagnosticCollectors, summarize } from './diagnostics.ts';

const run = promisify(execFile);
const quiet = { write: () => {} };

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shopmesh-diagnose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the collectors cover every namespace, events, both logs and istioctl analyze, all pinned to the context', () => {
  const collectors = diagnosticCollectors({ context: 'kind-shopmesh', tools: { kubectl: 'kubectl', istioctl: 'istioctl' } });
  const lines = collectors.map((c) => [c.command, ...c.args].join(' '));
  for (const ns of DIAGNOSTIC_NAMESPACES) {
    assert.ok(lines.some((l) => l.includes(`get pods --namespace ${ns}`)), `pods of ${ns}`);
  }
  assert.ok(lines.some((l) => /get events --all-namespaces/.test(l)));
  assert.ok(lines.some((l) => /logs --namespace istio-system --selector app=istiod/.test(l)));
  assert.ok(lines.some((l) => /logs --namespace istio-ingress --selector istio=ingress/.test(l)));
  assert.ok(lines.some((l) => /^istioctl .*analyze --all-namespaces$/.test(l)));
  for (const c of collectors) assert.deepEqual(c.args.slice(0, 2), ['--context', 'kind-shopmesh'], c.name);
  const files = collectors.map((c) => c.file);
  assert.equal(new Set(files).size, files.length, 'every item has a file of its own');
});

test('dry-run prints the plan and writes nothing', async (t) => {
  const outDir = path.join(tempDir(t), 'diagnostics');
  let text = '';
  const runner = new Runner({ dryRun: true, out: { write: (s) => void (text += s) } });
  const collectors = diagnosticCollectors({ context: 'k3d-shopmesh', tools: { kubectl: 'kubectl', istioctl: 'istioctl' } });
  const outcomes = await collectDiagnostics(runner, collectors, outDir);
  assert.equal(runner.plan.length, collectors.length);
  assert.ok(runner.plan.includes('$ istioctl --context k3d-shopmesh analyze --all-namespaces'));
  assert.match(text, /==> istiod logs → istiod\.log\n {2}\$ kubectl --context k3d-shopmesh logs/);
  assert.ok(outcomes.every((o) => o.ok));
  assert.equal(existsSync(outDir), false);
});

test('one failing or missing tool does not stop the others, and the summary names what failed', async (t) => {
  const dir = tempDir(t);
  // A kubectl that answers everything except logs, and an istioctl that does not exist.
  const kubectl = path.join(dir, 'kubectl');
  writeFileSync(kubectl, '#!/bin/sh\ncase "$*" in *" logs "*) echo "logs unavailable" >&2; exit 3;; esac\necho "ran: $*"\n');
  chmodSync(kubectl, 0o755);
  const tools = { kubectl, istioctl: path.join(dir, 'no-such-istioctl') };
  const outDir = path.join(dir, 'out');
  const runner = new Runner({ out: quiet, interactive: false });
  const collectors = diagnosticCollectors({ context: 'kind-shopmesh', tools });
  const outcomes = await collectDiagnostics(runner, collectors, outDir);

  assert.equal(outcomes.length, collectors.length, 'every collector was tried');
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.collector.file).sort();
  assert.deepEqual(failed, ['ingress-gateway.log', 'istioctl-analyze.txt', 'istioctl-proxy-status.txt', 'istiod.log']);
  assert.equal(outcomes.find((o) => o.collector.file === 'istioctl-analyze.txt')?.code, 127);

  assert.match(readFileSync(path.join(outDir, 'pods-cert-manager.txt'), 'utf8'), /^ran: --context kind-shopmesh get pods --namespace cert-manager/);
  assert.match(readFileSync(path.join(outDir, 'istiod.log'), 'utf8'), /istiod logs failed \(exit 3\)\nlogs unavailable/);
  const summary = readFileSync(path.join(outDir, 'summary.txt'), 'utf8');
  assert.match(summary, /FAILED {2}istioctl-analyze\.txt/);
  assert.match(summary, /4 of \d+ collectors failed: istiod logs, ingress gateway logs, istioctl analyze, proxy status/);
});

test('summarize says so when everything succeeded', () => {
  const [first] = diagnosticCollectors({ context: 'microk8s', tools: { kubectl: 'k', istioctl: 'i' } });
  assert.ok(first);
  assert.match(summarize([{ collector: first, code: 0, ok: true }]), /all 1 collectors succeeded/);
});

test('npm run diagnose refuses a foreign context and prints its plan for the sandbox', async () => {
  const script = path.join(repoRoot, 'scripts', 'diagnose.ts');
  const args = ['--import', 'tsx', script, '--dry-run'];
  await assert.rejects(run(process.execPath, [...args, '--context', 'prod-eu'], { cwd: repoRoot }), (err: Error & { code?: number; stderr?: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr ?? '', /refusing to touch kube context "prod-eu"/);
    return true;
  });
  const { stdout } = await run(process.execPath, [...args, '--context', 'kind-shopmesh'], { cwd: repoRoot });
  assert.match(stdout, /\$ \S*istioctl --context kind-shopmesh analyze --all-namespaces/);
  assert.match(stdout, /\$ \S*kubectl --context kind-shopmesh get events --all-namespaces/);
});

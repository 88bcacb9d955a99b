import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSandboxKubeConfig, tryLoadSandboxKubeConfig } from './client.ts';

function withEnv(t: import('node:test').TestContext, env: Record<string, string | undefined>): void {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test('with no kubeconfig at all, the message says so and never names client-node\'s placeholder context', (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'home-'));
  withEnv(t, { KUBECONFIG: undefined, HOME: home });
  assert.throws(() => loadSandboxKubeConfig(), (err: Error & { hint?: string }) => {
    assert.match(err.message, new RegExp(`you have no kubeconfig yet \\(${path.join(home, '.kube', 'config').replace(/[.]/g, '\\.')} does not exist\\)`));
    assert.doesNotMatch(err.message, /loaded-context/);
    assert.match(err.hint ?? '', /npm run up/);
    return true;
  });
  assert.equal(tryLoadSandboxKubeConfig({ context: 'k3d-shopmesh' }), undefined);
});

test('a kubeconfig whose current context is not the sandbox is refused by name', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kc-'));
  const file = path.join(dir, 'config');
  writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: [{name: prod, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: me, user: {token: x}}]\ncontexts: [{name: prod-eu, context: {cluster: prod, user: me}}]\ncurrent-context: prod-eu\n');
  withEnv(t, { KUBECONFIG: file });
  assert.throws(() => loadSandboxKubeConfig(), /refusing to touch kube context "prod-eu": it is not the shopmesh sandbox's own/);
});

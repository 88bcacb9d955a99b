// npm run open: the port-forward it plans for each addon, and its refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, ADDON_ENDPOINTS } from './open.ts';
import { UsageError } from './lib/cli.ts';
import { FakeApiServer } from './lib/kube/fake-apiserver.ts';

function capture() {
  let text = '';
  return { out: { write: (t: string) => void (text += t) }, text: () => text };
}

function useKubeconfig(t: import('node:test').TestContext, file: string): void {
  const before = process.env.KUBECONFIG;
  process.env.KUBECONFIG = file;
  t.after(() => {
    if (before === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = before;
  });
}

for (const [addon, ep] of Object.entries(ADDON_ENDPOINTS)) {
  test(`--dry-run plans the port-forward to ${addon} and names its URL`, async () => {
    const c = capture();
    assert.equal(await open([addon, '--provider', 'kind', '--dry-run'], { out: c.out }), 0);
    assert.match(c.text(), new RegExp(`\\$ kubectl --context kind-shopmesh -n istio-system port-forward svc/${ep.service} ${ep.localPort}:${ep.remotePort}`));
    assert.ok(c.text().includes(`then: http://localhost:${ep.localPort}${ep.path}`));
  });
}

test('an unknown or missing addon is a usage error naming the choices', async () => {
  await assert.rejects(open(['grafana', '--dry-run'], { out: capture().out }), (err) => err instanceof UsageError && /kiali, jaeger, prometheus|prometheus, kiali, jaeger/.test(err.message));
  await assert.rejects(open(['--dry-run'], { out: capture().out }), UsageError);
});

test('an addon that is not installed is refused with the command that installs it', async (t) => {
  const api = new FakeApiServer();
  await api.start();
  t.after(() => api.stop());
  useKubeconfig(t, api.writeKubeconfig(['k3d-shopmesh'], 'k3d-shopmesh'));
  await assert.rejects(open(['kiali', '--provider', 'k3d', '--no-browser'], { out: capture().out }), (err: Error & { hint?: string }) => /kiali is not installed/.test(err.message) && err.hint === 'npm run up -- --addons kiali');
  assert.ok(api.requests.some((r) => r.path.includes('/namespaces/istio-system/services/kiali')), 'it asked the API server for the Service');
});

test('a foreign kube context is refused before anything is looked up', async (t) => {
  const api = new FakeApiServer();
  await api.start();
  t.after(() => api.stop());
  useKubeconfig(t, api.writeKubeconfig(['prod'], 'prod'));
  await assert.rejects(open(['kiali', '--provider', 'k3d', '--no-browser'], { out: capture().out }));
  assert.equal(api.requests.length, 0);
});

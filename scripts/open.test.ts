// npm run open: the port-forward it plans for each addon, and its refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { open, ADDON_ENDPOINTS } from './open.ts';
import { UsageError } from './lib/cli.ts';
import { auditSince, pathOf, seedNamespace, startTestApiServer, type LocalApiServer } from '../test/support/apiserver.ts';

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

// One real API server for the tests that look things up.
let api: LocalApiServer;
before(async () => {
  api = await startTestApiServer({ crds: false });
  await seedNamespace(api, 'istio-system');
});
after(() => api?.stop());

test('an addon that is not installed is refused with the command that installs it', async (t) => {
  useKubeconfig(t, api.writeKubeconfig(['k3d-shopmesh']));
  const mark = api.auditEvents().length;
  await assert.rejects(open(['kiali', '--provider', 'k3d', '--no-browser'], { out: capture().out }), (err: Error & { hint?: string }) => /kiali is not installed/.test(err.message) && err.hint === 'npm run up -- --addons kiali');
  const asked = await auditSince(api, mark, (e) => e.some((x) => pathOf(x) === '/api/v1/namespaces/istio-system/services/kiali'));
  assert.ok(asked.some((e) => e.verb === 'get' && pathOf(e) === '/api/v1/namespaces/istio-system/services/kiali' && e.responseStatus?.code === 404), 'it asked the API server for the Service');
});

test('a foreign kube context is refused before anything is looked up', async (t) => {
  useKubeconfig(t, api.writeKubeconfig(['prod']));
  const mark = api.auditEvents().length;
  await assert.rejects(open(['kiali', '--provider', 'k3d', '--no-browser'], { out: capture().out }), /prod|k3d-shopmesh/);
  assert.deepEqual(api.auditEvents().slice(mark), []);
});

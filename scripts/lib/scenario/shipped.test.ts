// The expectations derived from every shipped overlay (rendered with the real kustomize).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../versions.ts';
import { renderKustomization } from '../kube/render.ts';
import { SCENARIO_NAMES } from '../../../loadtests/lib/expectations.ts';
import { claimsFor, thresholdsFor } from '../../../loadtests/lib/claims.ts';
import { deriveExpectations } from './expectations.ts';

const shipped = SCENARIO_NAMES.filter((n) => existsSync(path.join(repoRoot, 'overlays', n, 'kustomization.yaml')));

test('the overlays folder ships the baseline and the scenario overlays', () => {
  assert.ok(shipped.includes('baseline'));
  assert.ok(shipped.length >= 2, `shipped: ${shipped.join(', ')}`);
});

for (const name of shipped) {
  test(`overlays/${name}: expectations derive from the rendered overlay and give thresholds`, async () => {
    const e = deriveExpectations(name, await renderKustomization(path.join(repoRoot, 'overlays', name)));
    assert.equal(e.scenario, name);
    switch (e.scenario) {
      case 'baseline':
        assert.deepEqual(e.routes.map((r) => r.prefix).sort(), ['/', '/api/notifications', '/api/orders', '/api/payments', '/api/products', '/api/users']);
        break;
      case 'canary':
        assert.ok(e.share > 0 && e.share < 1 && e.version === 'v2');
        break;
      case 'ab':
        assert.equal(e.header, 'x-user-group');
        assert.notEqual(e.matchVersion, e.defaultVersion);
        break;
      case 'fault':
        assert.ok(e.abort && e.abort.share > 0 && e.abort.status >= 400);
        assert.ok(e.delay && e.delay.share > 0 && e.delay.ms > 0);
        break;
      case 'timeout':
        assert.ok(e.latencyMs > e.timeoutMs && e.timeoutShare > 0);
        // orders' route sends every call to the slow v1; v2's pod gets none.
        assert.equal(e.timeoutShare, 1);
        break;
      case 'retries':
        assert.ok(e.retried && e.errorShare > 0 && e.attempts >= 1);
        assert.equal(e.perTryTimeoutMs, 300);
        break;
      case 'breaker':
        assert.equal(e.overflowConcurrency, e.pool.maxConnections + e.pool.http1MaxPendingRequests + 1);
        assert.ok(e.failingReplicas >= 1 && e.replicas > e.failingReplicas);
        // subset v1 behind the route: three healthy pods and the always-failing one (not v2).
        assert.deepEqual([e.replicas, e.failingReplicas], [4, 1]);
        break;
      case 'mirror':
        assert.ok(e.mirrorShare > 0 && e.mirrorVersion !== e.routeVersion);
        break;
      case 'mtls':
        assert.equal(e.mode, 'STRICT');
        assert.equal(e.legacyShare, 0);
        break;
      case 'jwt':
        assert.ok(e.jwksUri.includes('users'));
        break;
      case 'authz':
        assert.ok(e.edges.some((x) => x.from === 'orders' && x.to === 'payments' && x.allowed));
        assert.ok(e.edges.some((x) => x.from === 'storefront' && x.to === 'payments' && !x.allowed));
        break;
      case 'tls':
        assert.ok(e.secretName && e.httpsRedirect);
        break;
      case 'ratelimit':
        assert.ok(e.limitPerSecond > 0 && e.maxTokens > 0);
        // one bucket: the only pod the route reaches is products-v1's.
        assert.deepEqual([e.instances, e.limitPerSecond], [1, 10]);
        break;
      case 'lb':
        assert.ok(e.replicas >= 2 && e.hashHeader.length > 0);
        // the v1 subset's three pods, not v2's.
        assert.equal(e.replicas, 3);
        break;
    }
    const thresholds = thresholdsFor(claimsFor(e));
    assert.ok(Object.keys(thresholds).length > 0);
  });
}

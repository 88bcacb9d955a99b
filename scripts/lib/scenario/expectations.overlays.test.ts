// The shipped overlays, rendered by kubectl kustomize (a subprocess): kept apart from the in-memory
// tests so the mutation run, which judges every mutant by those, stays fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { renderKustomization } from '../kube/render.ts';
import { repoRoot } from '../versions.ts';
import { deriveExpectations } from './expectations.ts';

test('authz names a service the gateway may not call, and tls the Certificate that writes its secret', async () => {
  const authz = deriveExpectations('authz', await renderKustomization(path.join(repoRoot, 'overlays', 'authz')));
  assert.ok(authz.scenario === 'authz' && authz.gatewayDenied);
  // payments and notifications allow only orders; the gateway may call the other four.
  assert.ok(['payments', 'notifications'].includes(authz.gatewayDenied.service), authz.gatewayDenied.service);
  assert.equal(authz.gatewayDenied.path, authz.gatewayDenied.service === 'payments' ? '/api/payments?order=5001' : '/api/notifications');
  const tls = deriveExpectations('tls', await renderKustomization(path.join(repoRoot, 'overlays', 'tls')));
  assert.ok(tls.scenario === 'tls');
  assert.equal(tls.certificate, 'shop-localhost');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { FixableError } from '../cli.ts';
import { repoRoot, version } from '../versions.ts';
import { crdFiles, CRD_SETS } from './crds.ts';

test('tools/crds pins the Gateway API and cert-manager modules at the versions in versions.yaml', () => {
  const gomod = readFileSync(path.join(repoRoot, 'tools', 'crds', 'go.mod'), 'utf8');
  const pinned = (mod: string) => new RegExp(`^\\s*${mod.replace(/[./]/g, '\\$&')} (\\S+)`, 'm').exec(gomod)?.[1];
  assert.equal(pinned('sigs.k8s.io/gateway-api'), version('crds.gatewayApi'));
  assert.equal(pinned('github.com/cert-manager/cert-manager'), version('charts.certManager'));
});

test('missing CRDs name the fix: npm run tools', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'no-crds-'));
  assert.throws(() => crdFiles(root), (err: Error) => err instanceof FixableError && /CRDs for the pinned versions are missing/.test(err.message) && /npm run tools/.test((err as FixableError).hint ?? ''));
});

test('the provisioned CRDs are the pinned releases', () => {
  const files = crdFiles();
  const sets = Object.fromEntries(CRD_SETS.map((s, i) => [s, YAML.parseAllDocuments(readFileSync(files[i]!, 'utf8')).map((d) => d.toJS())]));
  const gateways = sets['gateway-api']!.find((c) => c.metadata.name === 'gateways.gateway.networking.k8s.io');
  assert.equal(gateways.metadata.annotations['gateway.networking.k8s.io/bundle-version'], version('crds.gatewayApi'));
  assert.equal(gateways.metadata.annotations['gateway.networking.k8s.io/channel'], 'standard');
  assert.ok(sets['cert-manager']!.some((c) => c.metadata.name === 'clusterissuers.cert-manager.io'));
  assert.ok(sets.istio!.some((c) => c.metadata.name === 'telemetries.telemetry.istio.io'));
});

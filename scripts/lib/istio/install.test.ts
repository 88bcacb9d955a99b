// The values `up` gives Istio's charts, judged by the real tools: istioctl reads istiod's and the CNI
// chart's values into Istio's own Values type (an unknown key is an error), and helm validates the
// gateway chart's values against that chart's JSON schema (it forbids unknown keys). The charts are
// the ones the pinned istioctl embeds (written out by shopmesh-charts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { providers, PROVIDERS } from '../providers/index.ts';
import { binDir } from '../tools/index.ts';
import { cniValues, gatewayValues, istiodValues } from './install.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'istio-values-'));

/** The Helm values of istiod or the CNI chart as an IstioOperator, the form istioctl validates. */
function asIstioOperator(values: Record<string, unknown>, cni = false): string {
  const { profile, meshConfig, ...rest } = values as { profile?: string; meshConfig?: unknown };
  return YAML.stringify({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    spec: { ...(profile ? { profile } : {}), ...(meshConfig ? { meshConfig } : {}), ...(cni ? { components: { cni: { enabled: true } } } : {}), values: rest },
  });
}

function manifestGenerate(iop: string): { code: number | null; output: string } {
  const file = path.join(dir, `iop-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, iop);
  const r = spawnSync(path.join(binDir(), 'istioctl'), ['manifest', 'generate', '-f', file], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HOME: dir } });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

test("istiod's and the CNI agent's values for every provider are valid Istio values", () => {
  for (const p of PROVIDERS) {
    const platform = providers[p].istioPlatform;
    const istiod = manifestGenerate(asIstioOperator(istiodValues(platform)));
    // Validation only: what the values do is proven by helm template of the istiod chart (npm run check's
    // injected pods have no istio-init); istioctl's own operator derives pilot.cni from its components.
    assert.equal(istiod.code, 0, `${p} istiod: ${istiod.output.slice(-400)}`);
    const cni = manifestGenerate(asIstioOperator(cniValues(platform), true));
    assert.equal(cni.code, 0, `${p} cni: ${cni.output.slice(-400)}`);
    assert.match(cni.output, /kind: DaemonSet\nmetadata:\n(  .*\n)*?  name: istio-cni-node\n/);
    if (platform) assert.match(cni.output, platform === 'k3d' ? /\/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d/ : /\/var\/snap\/microk8s\/current\/args\/cni-network/);
  }
});

test('a misspelled values key (pilots instead of pilot) is refused by the real istioctl', () => {
  const { pilot, ...rest } = istiodValues('k3d') as { pilot: unknown };
  const r = manifestGenerate(asIstioOperator({ ...rest, pilots: pilot }));
  assert.notEqual(r.code, 0);
  assert.match(r.output, /unknown field "pilots"/);
});

test("the gateway's values for every provider pass the gateway chart's own schema, and a typo does not", () => {
  const charts = path.join(dir, 'exported');
  const exported = spawnSync(path.join(binDir(), 'shopmesh-charts'), [charts], { encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);
  const template = (values: unknown) => {
    const file = path.join(dir, `gateway-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(values));
    return spawnSync(path.join(binDir(), 'helm'), ['template', 'istio-ingress', path.join(charts, 'charts', 'gateway'), '--namespace', 'istio-ingress', '--values', file], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  };
  for (const p of PROVIDERS) {
    const r = template(gatewayValues(providers[p].gatewayService));
    assert.equal(r.status, 0, `${p}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`type: ${providers[p].gatewayService.type}`));
  }
  const { service, ...rest } = gatewayValues(providers.k3d.gatewayService) as { service: unknown };
  const bad = template({ ...rest, servce: service });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /servce/);
});

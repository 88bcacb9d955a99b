// The mesh an overlay runs in, rendered the real way: `helm template` of the istiod and gateway charts
// that the pinned istioctl embeds (written out by shopmesh-charts, built from the same Istio module),
// with the very values `up` installs (imported from istio/install.ts). It yields the mesh config and
// injector config for `istioctl kube-inject`, the gateway's Deployment and Service per provider, and
// the CNI node agent per provider. The addons are not rendered: `up` applies them from the Istio
// release's samples at install time, and no built tool carries them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GATEWAY_NAMESPACE, GATEWAY_RELEASE, ISTIO_NAMESPACE, cniValues, gatewayValues, istiodValues } from '../istio/install.ts';
import { parseManifests, type KubeObject } from '../kube/render.ts';
import { providers, PROVIDERS } from '../providers/index.ts';
import type { Provider } from '../kube/context.ts';

const exec = promisify(execFile);

/** A tool or input a layer needs could not be had: the layer says so and the check fails. */
export class LayerUnavailable extends Error {}

export interface MeshContext {
  /** Files for istioctl: the `istio` ConfigMap's mesh, and the injector ConfigMap's config and values. */
  meshConfigFile: string;
  injectConfigFile: string;
  valuesFile: string;
  istiod: KubeObject[];
  /** The gateway chart per provider (its Service differs: LoadBalancer on k3d, NodePort elsewhere). */
  gateways: Record<Provider, KubeObject[]>;
  /** The Istio CNI node agent per provider (its platform paths differ). */
  cni: Record<Provider, KubeObject[]>;
  dispose(): void;
}

async function helmTemplate(helm: string, release: string, chart: string, namespace: string, values: unknown, dir: string): Promise<KubeObject[]> {
  const file = path.join(dir, `${release}-values.json`);
  writeFileSync(file, JSON.stringify(values));
  try {
    const { stdout } = await exec(helm, ['template', release, chart, '--namespace', namespace, '--values', file], { maxBuffer: 64 * 1024 * 1024 });
    return parseManifests(stdout);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new LayerUnavailable(`helm template ${path.basename(chart)} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

function configMapData(objects: KubeObject[], name: string, key: string): string {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  const value = (cm?.data as Record<string, string> | undefined)?.[key];
  if (typeof value !== 'string') throw new LayerUnavailable(`the istiod chart rendered no ConfigMap ${name} with "${key}"`);
  return value;
}

/** Renders istiod (with `values`, default: what `up` installs) and the gateway for every provider. */
export async function renderMeshContext(tools: { helm: string; charts: string }, values: Record<string, unknown> = istiodValues()): Promise<MeshContext> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-mesh-'));
  const charts = path.join(dir, 'charts');
  const helm = tools.helm;
  try {
    try {
      await exec(tools.charts, [dir], { timeout: 60_000 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      throw new LayerUnavailable(`shopmesh-charts could not write out istioctl's charts: ${(e.stderr ?? e.message).trim()}`);
    }
    const [istiod, ...renders] = await Promise.all([
      helmTemplate(helm, 'istiod', path.join(charts, 'istio-control', 'istio-discovery'), ISTIO_NAMESPACE, values, dir),
      ...PROVIDERS.map((p) => helmTemplate(helm, `${GATEWAY_RELEASE}`, path.join(charts, 'gateway'), GATEWAY_NAMESPACE, gatewayValues(providers[p].gatewayService), dir)),
      // The CNI node agent with each provider's platform paths, for the laptop budget.
      ...PROVIDERS.map((p) => helmTemplate(helm, 'istio-cni', path.join(charts, 'istio-cni'), ISTIO_NAMESPACE, cniValues(providers[p].istioPlatform), dir)),
    ]);
    const gatewayRenders = renders.slice(0, PROVIDERS.length);
    const cniRenders = renders.slice(PROVIDERS.length);
    const files = {
      meshConfigFile: path.join(dir, 'mesh.yaml'),
      injectConfigFile: path.join(dir, 'inject-config.yaml'),
      valuesFile: path.join(dir, 'inject-values.json'),
    };
    writeFileSync(files.meshConfigFile, configMapData(istiod!, 'istio', 'mesh'));
    writeFileSync(files.injectConfigFile, configMapData(istiod!, 'istio-sidecar-injector', 'config'));
    writeFileSync(files.valuesFile, configMapData(istiod!, 'istio-sidecar-injector', 'values'));
    const gateways = Object.fromEntries(PROVIDERS.map((p, i) => [p, gatewayRenders[i]!])) as Record<Provider, KubeObject[]>;
    const cni = Object.fromEntries(PROVIDERS.map((p, i) => [p, cniRenders[i]!])) as Record<Provider, KubeObject[]>;
    return { ...files, istiod: istiod!, gateways, cni, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** Kubernetes label-selector semantics (an absent selector matches everything). */
export function selectorMatches(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

/**
 * Whether the injection webhook the istiod chart renders would inject this pod: any of its webhooks
 * whose namespaceSelector and objectSelector both match (the API server's own rule for webhooks).
 */
export function injectedByWebhook(istiod: KubeObject[], namespaceLabels: Record<string, string>, podLabels: Record<string, string>): boolean {
  const mwc = istiod.find((o) => o.kind === 'MutatingWebhookConfiguration' && o.metadata.name.startsWith('istio-sidecar-injector'));
  const hooks = (mwc?.webhooks as { namespaceSelector?: Selector; objectSelector?: Selector }[] | undefined) ?? [];
  return hooks.some((h) => selectorMatches(h.namespaceSelector, namespaceLabels) && selectorMatches(h.objectSelector, podLabels));
}

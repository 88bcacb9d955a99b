// The mesh an overlay runs in, rendered the real way: `helm template` of the istiod and gateway charts
// that the pinned istioctl embeds (written out by shopmesh-charts, built from the same Istio module),
// with the very values `up` installs (imported from istio/install.ts). It yields the mesh config and
// injector config for `istioctl kube-inject`, the gateway's Deployment and Service per provider, and
// (from that Istio module's source, when the Go module cache has it) the sample addons.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GATEWAY_NAMESPACE, GATEWAY_RELEASE, ISTIO_NAMESPACE, gatewayValues, istiodValues, type Addon } from '../istio/install.ts';
import { parseManifests, type KubeObject } from '../kube/render.ts';
import { providers, PROVIDERS } from '../providers/index.ts';
import type { Provider } from '../kube/context.ts';
import { repoRoot, version } from '../versions.ts';

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
  /** Objects of each addon's sample manifest from the same Istio source; absent when that source is not on this machine. */
  addons?: Record<Addon, KubeObject[]>;
  dispose(): void;
}

/** The addons' sample manifests of the pinned Istio source, or undefined when this machine lacks it. */
async function sampleAddons(): Promise<Record<Addon, KubeObject[]> | undefined> {
  const source = await istioSource().catch(() => undefined);
  if (!source) return undefined;
  return Object.fromEntries((['prometheus', 'kiali', 'jaeger'] as const).map((a) => [a, parseManifests(readFileSync(path.join(source, 'samples', 'addons', `${a}.yaml`), 'utf8'))])) as Record<Addon, KubeObject[]>;
}

/**
 * The istio.io/istio module istioctl is built from (versions.yaml `tools.istioctl`), from the Go
 * module cache, downloaded through the Go module proxy when missing.
 */
export async function istioSource(): Promise<string> {
  const v = `v${version('tools.istioctl').replace(/^v/, '')}`;
  let modCache = process.env.GOMODCACHE ?? '';
  try {
    if (!modCache) modCache = (await exec('go', ['env', 'GOMODCACHE'])).stdout.trim();
  } catch {
    modCache = path.join(process.env.GOPATH ?? path.join(os.homedir(), 'go'), 'pkg', 'mod');
  }
  const dir = path.join(modCache, `istio.io/istio@${v}`);
  if (existsSync(path.join(dir, 'manifests', 'charts'))) return dir;
  try {
    const { stdout } = await exec('go', ['mod', 'download', '-json', `istio.io/istio@${v}`], {
      cwd: path.join(repoRoot, 'tools', 'istio'),
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 10 * 60_000,
    });
    const downloaded = (JSON.parse(stdout) as { Dir?: string }).Dir;
    if (downloaded && existsSync(path.join(downloaded, 'manifests', 'charts'))) return downloaded;
  } catch (err) {
    throw new LayerUnavailable(`the Istio charts (Go module istio.io/istio@${v}) could not be had: ${(err as Error).message.split('\n')[0]} (install Go 1.26, or run \`npm run tools\`)`);
  }
  throw new LayerUnavailable(`the Go module istio.io/istio@${v} has no manifests/charts`);
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
    const [istiod, ...gatewayRenders] = await Promise.all([
      helmTemplate(helm, 'istiod', path.join(charts, 'istio-control', 'istio-discovery'), ISTIO_NAMESPACE, values, dir),
      ...PROVIDERS.map((p) => helmTemplate(helm, `${GATEWAY_RELEASE}`, path.join(charts, 'gateway'), GATEWAY_NAMESPACE, gatewayValues(providers[p].gatewayService), dir)),
    ]);
    const files = {
      meshConfigFile: path.join(dir, 'mesh.yaml'),
      injectConfigFile: path.join(dir, 'inject-config.yaml'),
      valuesFile: path.join(dir, 'inject-values.json'),
    };
    writeFileSync(files.meshConfigFile, configMapData(istiod!, 'istio', 'mesh'));
    writeFileSync(files.injectConfigFile, configMapData(istiod!, 'istio-sidecar-injector', 'config'));
    writeFileSync(files.valuesFile, configMapData(istiod!, 'istio-sidecar-injector', 'values'));
    const gateways = Object.fromEntries(PROVIDERS.map((p, i) => [p, gatewayRenders[i]!])) as Record<Provider, KubeObject[]>;
    const addons = await sampleAddons();
    return { ...files, istiod: istiod!, gateways, ...(addons ? { addons } : {}), dispose: () => rmSync(dir, { recursive: true, force: true }) };
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

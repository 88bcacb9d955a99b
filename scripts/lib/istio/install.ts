// Istio from its Helm charts (base → istiod → the gateway in istio-ingress), the Gateway API CRDs,
// and the optional addons from the matching Istio release with tracing configured.
import type { KubeConfig } from '@kubernetes/client-node';
import { serverSideApply } from '../kube/apply.ts';
import { helmUpgradeInstall } from '../kube/helm.ts';
import { ensureOwnedNamespace, isOwned, OWNED, type Ownership } from '../kube/ownership.ts';
import type { Runner } from '../plan.ts';
import type { GatewayServiceValues } from '../providers/types.ts';
import { version } from '../versions.ts';
import { GATEWAY_NAMESPACE, GATEWAY_RELEASE } from './names.ts';

export const ISTIO_NAMESPACE = 'istio-system';
export { GATEWAY_NAMESPACE, GATEWAY_RELEASE };
export const ADDONS = ['prometheus', 'kiali', 'jaeger'] as const;
export type Addon = (typeof ADDONS)[number];
export const TRACING_PROVIDER = 'otel-tracing';
/** Every request in a sandbox is worth a trace: traffic is tiny and the learner looks for their own request. */
export const SANDBOX_SAMPLING_PERCENT = 100;

function chart(name: string): string {
  return `${version('charts.istioRepo')}/${name}`;
}

/**
 * Where a provider's kubelet keeps its CNI binaries and config, as Istio's charts name it
 * (`global.platform`): k3d and microk8s move them, kind uses the defaults.
 */
export type IstioPlatform = 'k3d' | 'microk8s';

/**
 * The Istio CNI node agent sets up each pod's traffic redirection, so injected pods need no
 * `istio-init` container with NET_ADMIN, NET_RAW and root: they pass the restricted Pod Security level.
 */
export function cniValues(platform?: IstioPlatform): Record<string, unknown> {
  return { profile: 'demo', ...(platform ? { global: { platform } } : {}) };
}

export function istiodValues(platform?: IstioPlatform): Record<string, unknown> {
  return {
    // demo: access logs on and small defaults; the requests below keep a laptop's share small.
    profile: 'demo',
    // Injection without istio-init: the CNI agent (cniValues) redirects the traffic instead.
    pilot: {
      autoscaleEnabled: false,
      replicaCount: 1,
      resources: { requests: { cpu: '100m', memory: '256Mi' } },
      cni: { enabled: true },
      // istiod fetches JWKS URIs itself (the jwt scenario's is the users Service, a cluster IP): block
      // only link-local, where cloud metadata endpoints live, so a RequestAuthentication cannot
      // make istiod read them (istioctl's IST0175).
      env: { BLOCKED_CIDRS_IN_JWKS_URIS: '169.254.0.0/16,fe80::/10' },
    },
    global: { ...(platform ? { platform } : {}), proxy: { resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '500m', memory: '256Mi' } } } },
    meshConfig: {
      accessLogFile: '/dev/stdout',
      enableTracing: true,
      // Always present (harmless without the jaeger addon) so re-running up without --addons keeps it.
      extensionProviders: [{ name: TRACING_PROVIDER, opentelemetry: { service: `jaeger-collector.${ISTIO_NAMESPACE}.svc.cluster.local`, port: 4317 } }],
    },
  };
}

export function gatewayValues(service: GatewayServiceValues): Record<string, unknown> {
  return {
    service: { type: service.type, ...(service.ports ? { ports: service.ports } : {}) },
    autoscaling: { enabled: false },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  };
}

export interface IstioInstall {
  helm: string;
  kc: KubeConfig;
  context: string;
  gatewayService: GatewayServiceValues;
  platform?: IstioPlatform;
  ownership: Ownership;
  /** Whether the cluster can be read (false in a dry run before it exists). */
  reachable: boolean;
}

/** Helm releases up installs, in install order (down removes them in reverse). */
export const ISTIO_RELEASES = ['istio-base', 'istio-cni', 'istiod', GATEWAY_RELEASE] as const;

export async function installIstio(runner: Runner, o: IstioInstall): Promise<void> {
  const v = version('charts.istio');
  for (const ns of [ISTIO_NAMESPACE, GATEWAY_NAMESPACE]) await ensureOwnedNamespace(runner, o.kc, ns, o.ownership, o.reachable);
  const release = (name: string, chartName: string, namespace: string, values: Record<string, unknown>) =>
    helmUpgradeInstall(runner, o.helm, o.context, { release: name, chart: chart(chartName), version: v, namespace, values }, o.ownership);
  await runner.step(`Istio base ${v}`, () => release('istio-base', 'base', ISTIO_NAMESPACE, { defaultRevision: 'default' }));
  await runner.step(`Istio CNI node agent ${v}${o.platform ? ` (platform ${o.platform})` : ''}`, () => release('istio-cni', 'cni', ISTIO_NAMESPACE, cniValues(o.platform)));
  await runner.step(`istiod ${v}`, () => release('istiod', 'istiod', ISTIO_NAMESPACE, istiodValues(o.platform)));
  await runner.step(`ingress gateway ${v} in ${GATEWAY_NAMESPACE} (${o.gatewayService.type})`, () => release(GATEWAY_RELEASE, 'gateway', GATEWAY_NAMESPACE, gatewayValues(o.gatewayService)));
}

export const GATEWAY_API_CRDS = ['gatewayclasses.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io'];

export function gatewayApiUrl(): string {
  return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version('crds.gatewayApi')}/standard-install.yaml`;
}

/**
 * The Gateway API CRDs at the pinned release, marked as shopmesh's. CRDs someone else installed in a
 * shared cluster (microk8s) are left as they are, whatever their version, and down never removes them.
 */
export async function installGatewayApiCrds(runner: Runner, kubectl: string, context: string, ownership: Ownership = { ownsCluster: true }): Promise<void> {
  const wanted = version('crds.gatewayApi');
  const r = await runner.query(kubectl, ['--context', context, 'get', 'crd', GATEWAY_API_CRDS[1]!, '-o', 'json']);
  let installed: { version?: string; ours: boolean } | undefined;
  if (r.code === 0) {
    try {
      const crd = JSON.parse(r.stdout) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
      installed = { version: crd.metadata?.annotations?.['gateway.networking.k8s.io/bundle-version'], ours: isOwned(crd.metadata?.labels) };
    } catch {
      installed = undefined;
    }
  }
  if (installed && !installed.ours && !ownership.ownsCluster) {
    return runner.note(`Gateway API ${installed.version ?? '(unknown version)'} CRDs are installed and not shopmesh's: kept as they are${installed.version === wanted ? '' : ` (the sandbox is tested with ${wanted})`}`);
  }
  if (installed?.ours && installed.version === wanted) return runner.note(`Gateway API ${wanted} CRDs are installed`);
  await runner.exec(kubectl, ['--context', context, 'apply', '--server-side', '--force-conflicts', '--field-manager', 'shopmesh', '-f', gatewayApiUrl()]);
  await runner.exec(kubectl, ['--context', context, 'label', '--overwrite', '-f', gatewayApiUrl(), OWNED]);
}

export function addonUrl(addon: Addon): string {
  return `https://raw.githubusercontent.com/istio/istio/${version('charts.istio')}/samples/addons/${addon}.yaml`;
}

/** The Deployment each addon manifest creates in istio-system (present means installed). */
export const ADDON_DEPLOYMENT: Record<Addon, string> = { prometheus: 'prometheus', kiali: 'kiali', jaeger: 'jaeger' };

export function tracingTelemetry(): import('../kube/render.ts').KubeObject {
  return {
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name: 'mesh-default', namespace: ISTIO_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'shopmesh-up' } },
    spec: { tracing: [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: SANDBOX_SAMPLING_PERCENT }] },
  };
}

export async function installAddons(runner: Runner, kubectl: string, kc: KubeConfig, context: string, addons: Addon[]): Promise<void> {
  for (const addon of addons) {
    await runner.step(`addon ${addon} (Istio ${version('charts.istio')} samples)`, async () => {
      const present = await runner.query(kubectl, ['--context', context, 'get', 'deployment', ADDON_DEPLOYMENT[addon], '-n', ISTIO_NAMESPACE, '-o', 'name']);
      if (present.code === 0 && present.stdout.trim()) return runner.note('installed');
      await runner.exec(kubectl, ['--context', context, 'apply', '--server-side', '--force-conflicts', '--field-manager', 'shopmesh', '-f', addonUrl(addon)]);
    });
  }
  if (addons.includes('jaeger')) {
    await runner.step(`tracing: Telemetry ${ISTIO_NAMESPACE}/mesh-default sends ${SANDBOX_SAMPLING_PERCENT}% of traces to ${TRACING_PROVIDER}`, () =>
      serverSideApply(runner, kc, [tracingTelemetry()], { fieldManager: 'shopmesh' }),
    );
  }
}

export function parseAddons(option: string | undefined): Addon[] {
  if (!option) return [];
  const names = option.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(ADDONS as readonly string[]).includes(n));
  if (bad.length) throw new Error(`unknown addon ${bad.join(', ')}: choose from ${ADDONS.join(', ')}`);
  return [...new Set(names)] as Addon[];
}

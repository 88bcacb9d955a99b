// Istio from its Helm charts (base → istiod → the gateway in istio-ingress), the Gateway API CRDs,
// and the optional addons from the matching Istio release with tracing configured.
import type { KubeConfig } from '@kubernetes/client-node';
import { serverSideApply } from '../kube/apply.ts';
import { helmUpgradeInstall } from '../kube/helm.ts';
import type { Runner } from '../plan.ts';
import type { GatewayServiceValues } from '../providers/types.ts';
import { version } from '../versions.ts';

export const ISTIO_NAMESPACE = 'istio-system';
export const GATEWAY_NAMESPACE = 'istio-ingress';
/** Release `istio-ingress` makes the chart label its pods `istio: ingress`, which the Gateway selects. */
export const GATEWAY_RELEASE = 'istio-ingress';
export const ADDONS = ['prometheus', 'kiali', 'jaeger'] as const;
export type Addon = (typeof ADDONS)[number];
export const TRACING_PROVIDER = 'otel-tracing';
/** Every request in a sandbox is worth a trace: traffic is tiny and the learner looks for their own request. */
export const SANDBOX_SAMPLING_PERCENT = 100;

function chart(name: string): string {
  return `${version('charts.istioRepo')}/${name}`;
}

export function istiodValues(): Record<string, unknown> {
  return {
    // demo: access logs on and small defaults; the requests below keep a laptop's share small.
    profile: 'demo',
    pilot: { autoscaleEnabled: false, replicaCount: 1, resources: { requests: { cpu: '100m', memory: '256Mi' } } },
    global: { proxy: { resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { cpu: '500m', memory: '256Mi' } } } },
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

export async function installIstio(runner: Runner, helm: string, context: string, gatewayService: GatewayServiceValues): Promise<void> {
  const v = version('charts.istio');
  await runner.step(`Istio base ${v}`, () => helmUpgradeInstall(runner, helm, context, { release: 'istio-base', chart: chart('base'), version: v, namespace: ISTIO_NAMESPACE, values: { defaultRevision: 'default' } }));
  await runner.step(`istiod ${v}`, () => helmUpgradeInstall(runner, helm, context, { release: 'istiod', chart: chart('istiod'), version: v, namespace: ISTIO_NAMESPACE, values: istiodValues() }));
  await runner.step(`ingress gateway ${v} in ${GATEWAY_NAMESPACE} (${gatewayService.type})`, () =>
    helmUpgradeInstall(runner, helm, context, { release: GATEWAY_RELEASE, chart: chart('gateway'), version: v, namespace: GATEWAY_NAMESPACE, values: gatewayValues(gatewayService) }),
  );
}

export const GATEWAY_API_CRDS = ['gatewayclasses.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io'];

export function gatewayApiUrl(): string {
  return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version('crds.gatewayApi')}/standard-install.yaml`;
}

export async function installGatewayApiCrds(runner: Runner, kubectl: string, context: string): Promise<void> {
  const wanted = version('crds.gatewayApi');
  const r = await runner.query(kubectl, ['--context', context, 'get', 'crd', GATEWAY_API_CRDS[1]!, '-o', 'jsonpath={.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}']);
  if (r.code === 0 && r.stdout.trim() === wanted) return runner.note(`Gateway API ${wanted} CRDs are installed`);
  await runner.exec(kubectl, ['--context', context, 'apply', '--server-side', '--force-conflicts', '--field-manager', 'shopmesh', '-f', gatewayApiUrl()]);
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

// The ingress gateway's names, apart from install.ts so that readers of generated config (the xDS
// claims) do not load the Kubernetes client and Helm to learn them.
export const GATEWAY_NAMESPACE = 'istio-ingress';
/** Release `istio-ingress` makes the chart label its pods `istio: ingress`, which the Gateway selects. */
export const GATEWAY_RELEASE = 'istio-ingress';

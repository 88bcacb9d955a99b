// What every cluster provider offers `up`, `down`, `status` and `doctor`.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Runner } from '../plan.ts';
import type { Provider } from '../kube/context.ts';
import type { ToolName } from '../tools/index.ts';
import type { IstioPlatform } from '../istio/install.ts';

/** Fixed NodePorts of the gateway where there is no LoadBalancer (kind, microk8s). */
export const HTTP_NODE_PORT = 30080;
export const HTTPS_NODE_PORT = 30443;

export type ClusterState = 'absent' | 'stopped' | 'running';
export type ToolPaths = Partial<Record<ToolName, string>>;

export interface GatewayServiceValues {
  type: 'LoadBalancer' | 'NodePort';
  ports?: Array<{ name: string; port: number; protocol: 'TCP'; targetPort: number; nodePort?: number }>;
}

export interface ClusterProvider {
  readonly name: Provider;
  readonly context: string;
  /** Host ports where the gateway answers. */
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Where the host pushes images, and the same registry as the nodes pull from it. */
  readonly registry: { push: string; cluster: string };
  readonly gatewayService: GatewayServiceValues;
  /** Istio's name for where this provider's kubelet keeps its CNI files (charts' global.platform). */
  readonly istioPlatform?: IstioPlatform;
  /** True when the cluster is the sandbox's own (k3d, kind); false on a host cluster shared with the user. */
  readonly ownsCluster: boolean;
  /** CLIs this provider drives besides kubectl and helm. */
  readonly tools: ToolName[];
  /** Host ports it binds, checked free by the preflight unless the sandbox already holds them. */
  readonly hostPorts: number[];
  clusterState(runner: Runner, tools: ToolPaths): Promise<ClusterState>;
  /** Host ports already held by the sandbox's own containers (not a conflict). */
  ownedPorts(runner: Runner, tools: ToolPaths): Promise<number[]>;
  /** What up enabled on a shared cluster (microk8s addons), so the record lets down remove only that. */
  addedByUp?(): string[];
  /** Creates (or starts, or repairs) the registry and the cluster. Safe to re-run. */
  up(runner: Runner, tools: ToolPaths): Promise<void>;
  /** Wiring that needs the cluster's API (kind's local-registry-hosting ConfigMap). */
  wire?(runner: Runner, kc: KubeConfig): Promise<void>;
  /** Deletes the sandbox cluster; with `all`, its registry too. */
  down(runner: Runner, tools: ToolPaths, opts: { all: boolean }): Promise<void>;
}

export function toolPath(tools: ToolPaths, name: ToolName): string {
  return tools[name] ?? name;
}

/** The gateway as a NodePort on fixed ports: kind maps them to the host; on microk8s they are the host's. */
export const NODE_PORT_GATEWAY: GatewayServiceValues = {
  type: 'NodePort',
  ports: [
    { name: 'status-port', port: 15021, protocol: 'TCP', targetPort: 15021 },
    { name: 'http2', port: 80, protocol: 'TCP', targetPort: 80, nodePort: HTTP_NODE_PORT },
    { name: 'https', port: 443, protocol: 'TCP', targetPort: 443, nodePort: HTTPS_NODE_PORT },
  ],
};

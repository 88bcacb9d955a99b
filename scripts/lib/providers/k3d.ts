// k3d: a registry created once outside the cluster (it survives `down`), a cluster without Traefik,
// servicelb kept so the gateway's LoadBalancer ports reach the k3d loadbalancer on 127.0.0.1 (8080/8443
// unless moved, see ports.ts).
import YAML from 'yaml';
import { CLUSTER_NAME, sandboxContext } from '../kube/context.ts';
import type { Runner } from '../plan.ts';
import { version } from '../versions.ts';
import { cacheFile, writeGeneratedFile } from './config-files.ts';
import { cannotLook } from './look.ts';
import { recoverExistingCluster } from './recover.ts';
import { sandboxPorts, withHostPorts, type HostPortMembers } from './ports.ts';
import { toolPath, type ClusterProvider, type ClusterState, type ToolPaths } from './types.ts';

export const K3D_REGISTRY = `${CLUSTER_NAME}-registry.localhost`;
/** k3d prefixes the registry's container name with `k3d-`; pods pull by that name. */
export const K3D_REGISTRY_CONTAINER = `k3d-${K3D_REGISTRY}`;

export function k3dClusterConfig(): Record<string, unknown> {
  const ports = sandboxPorts();
  return {
    apiVersion: 'k3d.io/v1alpha5',
    kind: 'Simple',
    metadata: { name: CLUSTER_NAME },
    servers: 1,
    agents: 0,
    image: version('images.k3s'),
    ports: [
      { port: `127.0.0.1:${ports.http}:80`, nodeFilters: ['loadbalancer'] },
      { port: `127.0.0.1:${ports.https}:443`, nodeFilters: ['loadbalancer'] },
    ],
    registries: { use: [`${K3D_REGISTRY_CONTAINER}:${ports.registry}`] },
    options: {
      k3s: { extraArgs: [{ arg: '--disable=traefik', nodeFilters: ['server:*'] }] },
      kubeconfig: { updateDefaultKubeconfig: true, switchCurrentContext: true },
    },
  };
}

interface K3dCluster {
  name: string;
  serversCount?: number;
  serversRunning?: number;
}

/** k3d's JSON listing; when k3d cannot look (no Docker), an error, never "there is none". */
async function listJson<T>(runner: Runner, k3d: string, args: string[]): Promise<T[]> {
  const result = await runner.query(k3d, [...args, '-o', 'json']);
  if (result.code === 0) {
    try {
      return (JSON.parse(result.stdout || '[]') as T[] | null) ?? [];
    } catch {
      // falls through to cannotLook
    }
  }
  return cannotLook(runner, `k3d ${args.join(' ')}`, result.stderr || result.stdout, []);
}

async function registryExists(runner: Runner, k3d: string): Promise<boolean> {
  const registries = await listJson<{ name: string }>(runner, k3d, ['registry', 'list']);
  return registries.some((r) => r.name === K3D_REGISTRY_CONTAINER);
}

export const k3dProvider: ClusterProvider = withHostPorts(
  {
    name: 'k3d',
    context: sandboxContext('k3d'),
    gatewayService: { type: 'LoadBalancer' },
    istioPlatform: 'k3d',
    ownsCluster: true,
    tools: ['k3d'],

    async clusterState(runner, tools): Promise<ClusterState> {
      const clusters = await listJson<K3dCluster>(runner, toolPath(tools, 'k3d'), ['cluster', 'list']);
      const c = clusters.find((x) => x.name === CLUSTER_NAME);
      if (!c) return 'absent';
      return (c.serversRunning ?? 0) >= (c.serversCount ?? 1) ? 'running' : 'stopped';
    },

    async ownedPorts(runner, tools) {
      const owned: number[] = [];
      const ports = sandboxPorts();
      if (await registryExists(runner, toolPath(tools, 'k3d'))) owned.push(ports.registry);
      if ((await this.clusterState(runner, tools)) === 'running') owned.push(ports.http, ports.https);
      return owned;
    },

    async up(runner: Runner, tools: ToolPaths) {
      const k3d = toolPath(tools, 'k3d');
      const { registry } = sandboxPorts();
      await runner.step(`registry ${K3D_REGISTRY_CONTAINER} on localhost:${registry}`, async () => {
        if (await registryExists(runner, k3d)) return runner.note('exists');
        // The image versions.yaml pins (k3d's own default is an unpinned registry:2).
        await runner.exec(k3d, ['registry', 'create', K3D_REGISTRY, '--port', `127.0.0.1:${registry}`, '--image', version('images.registry')]);
      });
      const create = async () => {
        const file = cacheFile(`k3d-${CLUSTER_NAME}.yaml`);
        await writeGeneratedFile(runner, file, YAML.stringify(k3dClusterConfig()));
        await runner.exec(k3d, ['cluster', 'create', '--config', file, '--wait', '--timeout', '300s']);
      };
      await runner.step(`k3d cluster ${CLUSTER_NAME} (${version('images.k3s')})`, async () => {
        const state = await this.clusterState(runner, tools);
        if (state === 'absent') return create();
        if (state === 'stopped') await runner.exec(k3d, ['cluster', 'start', CLUSTER_NAME, '--wait']);
        else runner.note('running');
        await recoverExistingCluster(runner, {
          context: this.context,
          kubectl: toolPath(tools, 'kubectl'),
          exportKubeconfig: async () => void (await runner.exec(k3d, ['kubeconfig', 'merge', CLUSTER_NAME, '--kubeconfig-merge-default', '--kubeconfig-switch-context=false'])),
          recreate: async () => {
            await runner.exec(k3d, ['cluster', 'delete', CLUSTER_NAME]);
            await create();
          },
        });
      });
    },

    async down(runner, tools, opts) {
      const k3d = toolPath(tools, 'k3d');
      if ((await this.clusterState(runner, tools)) !== 'absent') await runner.exec(k3d, ['cluster', 'delete', CLUSTER_NAME]);
      else runner.note(`no k3d cluster ${CLUSTER_NAME}`);
      if (opts.all) {
        if (await registryExists(runner, k3d)) await runner.exec(k3d, ['registry', 'delete', K3D_REGISTRY_CONTAINER]);
        else runner.note(`no registry ${K3D_REGISTRY_CONTAINER}`);
      }
    },
  } satisfies Omit<ClusterProvider, keyof HostPortMembers>,
  (port) => `${K3D_REGISTRY_CONTAINER}:${port}`,
);

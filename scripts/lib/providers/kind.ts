// kind: host ports (8080/8443 unless moved, see ports.ts) mapped to the gateway's fixed NodePorts, and the local registry wired the
// way kind documents it: a registry container, containerd hosts.toml on each node, the registry
// connected to the `kind` network, and the local-registry-hosting ConfigMap (which Tilt reads).
import type { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { serverSideApply } from '../kube/apply.ts';
import { CLUSTER_NAME, sandboxContext } from '../kube/context.ts';
import type { Runner } from '../plan.ts';
import { version } from '../versions.ts';
import { cannotLook } from './look.ts';
import { recoverExistingCluster } from './recover.ts';
import { sandboxPorts, withHostPorts, type HostPortMembers } from './ports.ts';
import { HTTP_NODE_PORT, HTTPS_NODE_PORT, NODE_PORT_GATEWAY, toolPath, type ClusterProvider, type ClusterState, type ToolPaths } from './types.ts';

export const KIND_REGISTRY = `${CLUSTER_NAME}-registry`;
/** Where containerd on a node looks up how to reach localhost:<registry port>. */
const certsDir = () => `/etc/containerd/certs.d/localhost:${sandboxPorts().registry}`;
export const HOSTS_TOML = `[host."http://${KIND_REGISTRY}:5000"]\n`;

export function kindClusterConfig(): Record<string, unknown> {
  return {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: CLUSTER_NAME,
    containerdConfigPatches: ['[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"'],
    nodes: [
      {
        role: 'control-plane',
        image: version('images.kindNode'),
        extraPortMappings: [
          { containerPort: HTTP_NODE_PORT, hostPort: sandboxPorts().http, listenAddress: '127.0.0.1', protocol: 'TCP' },
          { containerPort: HTTPS_NODE_PORT, hostPort: sandboxPorts().https, listenAddress: '127.0.0.1', protocol: 'TCP' },
        ],
      },
    ],
  };
}

/** A container's state; "absent" only when Docker says there is no such container. */
async function containerState(runner: Runner, name: string): Promise<'absent' | 'stopped' | 'running'> {
  const r = await runner.query('docker', ['inspect', '-f', '{{.State.Running}}', name]);
  if (r.code === 0) return r.stdout.trim() === 'true' ? 'running' : 'stopped';
  if (/no such (object|container)/i.test(r.stderr)) return 'absent';
  return cannotLook(runner, `docker inspect ${name}`, r.stderr || r.stdout, 'absent');
}

const registryState = (runner: Runner) => containerState(runner, KIND_REGISTRY);

export const kindProvider: ClusterProvider = withHostPorts(
  {
    name: 'kind',
    context: sandboxContext('kind'),
    gatewayService: NODE_PORT_GATEWAY,
    ownsCluster: true,
    tools: ['kind'],

    async clusterState(runner, tools): Promise<ClusterState> {
      const r = await runner.query(toolPath(tools, 'kind'), ['get', 'clusters']);
      if (r.code !== 0) return cannotLook(runner, 'kind get clusters', r.stderr || r.stdout, 'absent');
      if (!r.stdout.split('\n').map((l) => l.trim()).includes(CLUSTER_NAME)) return 'absent';
      return (await containerState(runner, `${CLUSTER_NAME}-control-plane`)) === 'stopped' ? 'stopped' : 'running';
    },

    async ownedPorts(runner, tools) {
      const owned: number[] = [];
      const ports = sandboxPorts();
      if ((await registryState(runner)) === 'running') owned.push(ports.registry);
      if ((await this.clusterState(runner, tools)) === 'running') owned.push(ports.http, ports.https);
      return owned;
    },

    async up(runner: Runner, tools: ToolPaths) {
      const kind = toolPath(tools, 'kind');
      const { registry } = sandboxPorts();
      await runner.step(`registry container ${KIND_REGISTRY} on localhost:${registry}`, async () => {
        const state = await registryState(runner);
        if (state === 'running') return runner.note('running');
        if (state === 'stopped') {
          await runner.exec('docker', ['start', KIND_REGISTRY]);
          return;
        }
        await runner.exec('docker', ['run', '-d', '--restart=always', '-p', `127.0.0.1:${registry}:5000`, '--network', 'bridge', '--name', KIND_REGISTRY, version('images.registry')]);
      });
      const create = async () => {
        await runner.exec(kind, ['create', 'cluster', '--name', CLUSTER_NAME, '--config', '-', '--wait', '120s'], { input: YAML.stringify(kindClusterConfig()) });
      };
      await runner.step(`kind cluster ${CLUSTER_NAME} (${version('images.kindNode').split('@')[0]})`, async () => {
        const state = await this.clusterState(runner, tools);
        if (state === 'absent') return create();
        if (state === 'stopped') await runner.exec('docker', ['start', `${CLUSTER_NAME}-control-plane`]);
        else runner.note('running');
        await recoverExistingCluster(runner, {
          context: this.context,
          kubectl: toolPath(tools, 'kubectl'),
          exportKubeconfig: async () => void (await runner.exec(kind, ['export', 'kubeconfig', '--name', CLUSTER_NAME])),
          recreate: async () => {
            await runner.exec(kind, ['delete', 'cluster', '--name', CLUSTER_NAME]);
            await create();
          },
        });
      });
      await runner.step(`containerd on each node pulls localhost:${registry} from the registry container`, async () => {
        const CERTS_DIR = certsDir();
        const nodes = runner.dryRun && (await this.clusterState(runner, tools)) === 'absent' ? [`${CLUSTER_NAME}-control-plane`] : (await runner.query(kind, ['get', 'nodes', '--name', CLUSTER_NAME])).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
        for (const node of nodes) {
          const current = await runner.query('docker', ['exec', node, 'cat', `${CERTS_DIR}/hosts.toml`]);
          if (current.code === 0 && current.stdout === HOSTS_TOML) continue;
          await runner.exec('docker', ['exec', node, 'mkdir', '-p', CERTS_DIR]);
          await runner.exec('docker', ['exec', '-i', node, 'cp', '/dev/stdin', `${CERTS_DIR}/hosts.toml`], { input: HOSTS_TOML });
        }
        const network = await runner.query('docker', ['inspect', '-f', '{{json .NetworkSettings.Networks.kind}}', KIND_REGISTRY]);
        if (network.code !== 0 || network.stdout.trim() === 'null' || network.stdout.trim() === '') await runner.exec('docker', ['network', 'connect', 'kind', KIND_REGISTRY]);
      });
    },

    async wire(runner: Runner, kc: KubeConfig) {
      await serverSideApply(
        runner,
        kc,
        [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'local-registry-hosting', namespace: 'kube-public', labels: { 'app.kubernetes.io/managed-by': 'shopmesh-up' } },
            data: { 'localRegistryHosting.v1': `host: "localhost:${sandboxPorts().registry}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n` },
          },
        ],
        { fieldManager: 'shopmesh' },
      );
    },

    async down(runner, tools, opts) {
      if ((await this.clusterState(runner, tools)) !== 'absent') await runner.exec(toolPath(tools, 'kind'), ['delete', 'cluster', '--name', CLUSTER_NAME]);
      else runner.note(`no kind cluster ${CLUSTER_NAME}`);
      if (opts.all) {
        if ((await registryState(runner)) !== 'absent') await runner.exec('docker', ['rm', '-f', KIND_REGISTRY]);
        else runner.note(`no registry container ${KIND_REGISTRY}`);
      }
    },
  } satisfies Omit<ClusterProvider, keyof HostPortMembers>,
  (port) => `localhost:${port}`,
);

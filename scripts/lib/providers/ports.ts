// The host ports the sandbox binds: the gateway's HTTP and HTTPS, and the image registry. Each can be
// moved, by a flag of `up` or by an environment variable that every script reads; `up` records the
// ports it used in the cluster, so `status` and the scenarios find them without being told again.
import { FixableError } from '../cli.ts';
import type { OptionSpec } from '../cli.ts';

export interface SandboxPorts {
  http: number;
  https: number;
  registry: number;
}

/** 5000-5005 and 5100-5105 are the services' dev ports, so the registry takes 5050. */
export const DEFAULT_PORTS: Readonly<SandboxPorts> = Object.freeze({ http: 8080, https: 8443, registry: 5050 });

export const PORT_VARIABLES: Readonly<Record<keyof SandboxPorts, string>> = Object.freeze({
  http: 'SHOPMESH_HTTP_PORT',
  https: 'SHOPMESH_HTTPS_PORT',
  registry: 'SHOPMESH_REGISTRY_PORT',
});

const FLAGS: Record<keyof SandboxPorts, 'http-port' | 'https-port' | 'registry-port'> = { http: 'http-port', https: 'https-port', registry: 'registry-port' };

export const PORT_OPTIONS = {
  'http-port': { type: 'string', description: `host port for the shop over HTTP (default ${DEFAULT_PORTS.http}; or ${PORT_VARIABLES.http})` },
  'https-port': { type: 'string', description: `host port for the shop over HTTPS (default ${DEFAULT_PORTS.https}; or ${PORT_VARIABLES.https})` },
  'registry-port': { type: 'string', description: `host port of the image registry (default ${DEFAULT_PORTS.registry}; or ${PORT_VARIABLES.registry})` },
} satisfies Record<string, OptionSpec>;

export function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FixableError(`${source} must be a port number from 1 to 65535, not "${value}"`, `for example ${source.startsWith('--') ? `${source} 9080` : `${source}=9080`}`);
  }
  return port;
}

/** The ports in force: the environment's, else the defaults; refuses bad or clashing values by name. */
export function sandboxPorts(env: NodeJS.ProcessEnv = process.env): SandboxPorts {
  const ports = { ...DEFAULT_PORTS };
  for (const key of Object.keys(PORT_VARIABLES) as Array<keyof SandboxPorts>) {
    const raw = env[PORT_VARIABLES[key]];
    if (raw !== undefined && raw !== '') ports[key] = parsePort(raw, PORT_VARIABLES[key]);
  }
  const keys = Object.keys(ports) as Array<keyof SandboxPorts>;
  for (const a of keys) {
    for (const b of keys) {
      if (a < b && ports[a] === ports[b]) throw new FixableError(`the ${a} and ${b} ports are both ${ports[a]}`, `give each its own port (${PORT_VARIABLES[a]}, ${PORT_VARIABLES[b]})`);
    }
  }
  return ports;
}

/** Moves the ports as the flags say, for this process and the tools it starts. */
export function applyPortOptions(options: Partial<Record<'http-port' | 'https-port' | 'registry-port', string | undefined>>, env: NodeJS.ProcessEnv = process.env): SandboxPorts {
  for (const key of Object.keys(FLAGS) as Array<keyof SandboxPorts>) {
    const value = options[FLAGS[key]];
    if (value !== undefined) env[PORT_VARIABLES[key]] = String(parsePort(value, `--${FLAGS[key]}`));
  }
  return sandboxPorts(env);
}

/**
 * What `up` records in the cluster (ConfigMap kube-public/shopmesh-sandbox): the ports, which `status`
 * and the scenarios read back, and what up enabled on a shared cluster, which `down --all` removes.
 */
export const PORTS_CONFIGMAP = { namespace: 'kube-public', name: 'shopmesh-sandbox' } as const;

export function portsConfigMap(ports: SandboxPorts, addedByUp: string[] = []): import('../kube/render.ts').KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...PORTS_CONFIGMAP, labels: { 'app.kubernetes.io/managed-by': 'shopmesh-up' } },
    data: {
      httpPort: String(ports.http),
      httpsPort: String(ports.https),
      registryPort: String(ports.registry),
      ...(addedByUp.length ? { addedByUp: [...new Set(addedByUp)].sort().join(',') } : {}),
    },
  };
}

/** What up enabled on a shared cluster, from the record (comma-separated). */
export function addedFromRecord(data: Record<string, string> | undefined): string[] {
  return (data?.addedByUp ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The recorded ports, where the ConfigMap has them; undefined fields fall back to what is in force. */
export function portsFromConfigMap(data: Record<string, string> | undefined, fallback: SandboxPorts): SandboxPorts {
  const read = (k: string, d: number) => (data?.[k] && /^\d+$/.test(data[k]!) ? Number(data[k]) : d);
  return { http: read('httpPort', fallback.http), https: read('httpsPort', fallback.https), registry: read('registryPort', fallback.registry) };
}

/** The members of a provider whose sandbox binds the host ports (k3d, kind). */
export interface HostPortMembers {
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly registry: { push: string; cluster: string };
  readonly hostPorts: number[];
}

/**
 * Gives a provider its host-port members, read when used so a port moved by a flag or the
 * environment is seen; `clusterRegistry` names the registry as the nodes pull from it.
 */
export function withHostPorts<P extends object>(provider: P, clusterRegistry: (port: number) => string): P & HostPortMembers {
  return Object.defineProperties(provider, {
    httpPort: { get: () => sandboxPorts().http, enumerable: true },
    httpsPort: { get: () => sandboxPorts().https, enumerable: true },
    registry: {
      get: () => {
        const { registry } = sandboxPorts();
        return { push: `localhost:${registry}`, cluster: clusterRegistry(registry) };
      },
      enumerable: true,
    },
    hostPorts: {
      get: () => {
        const { http, https, registry } = sandboxPorts();
        return [http, https, registry];
      },
      enumerable: true,
    },
  }) as P & HostPortMembers;
}

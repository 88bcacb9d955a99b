// The guard every cluster-touching script calls first: it refuses any kube context that is not
// the sandbox's own, and names the context it refused.
import { FixableError } from '../cli.ts';

export const CLUSTER_NAME = 'shopmesh';
export const PROVIDERS = ['k3d', 'kind', 'microk8s'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** The kube context each provider creates for the sandbox cluster. */
export function sandboxContext(provider: Provider, cluster = CLUSTER_NAME): string {
  switch (provider) {
    case 'k3d':
      return `k3d-${cluster}`;
    case 'kind':
      return `kind-${cluster}`;
    case 'microk8s':
      return 'microk8s';
  }
}

export function isSandboxContext(context: string, cluster = CLUSTER_NAME): boolean {
  return PROVIDERS.some((p) => sandboxContext(p, cluster) === context);
}

/** Throws unless `context` is the sandbox's own. */
export function assertSandboxContext(context: string | undefined, cluster = CLUSTER_NAME): Provider {
  const provider = PROVIDERS.find((p) => sandboxContext(p, cluster) === context);
  if (!context || !provider) {
    throw new FixableError(
      `refusing to touch kube context "${context ?? '(none)'}": it is not the shopmesh sandbox's own (${PROVIDERS.map((p) => sandboxContext(p, cluster)).join(', ')})`,
      'run `npm run up` to create the sandbox, or `kubectl config use-context k3d-shopmesh` if it exists',
    );
  }
  return provider;
}

// The providers by name, and how a script picks one when --provider is not given.
import { KubeConfig } from '@kubernetes/client-node';
import { PROVIDERS, type Provider } from '../kube/context.ts';
import { k3dProvider } from './k3d.ts';
import { kindProvider } from './kind.ts';
import { microk8sProvider } from './microk8s.ts';
import type { ClusterProvider } from './types.ts';

export const providers: Record<Provider, ClusterProvider> = { k3d: k3dProvider, kind: kindProvider, microk8s: microk8sProvider };

/** --provider if given; else the provider whose sandbox context is current; else k3d. */
export function resolveProvider(option: string | undefined): ClusterProvider {
  if (option) return providers[option as Provider];
  try {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const current = kc.getCurrentContext();
    const match = PROVIDERS.find((p) => providers[p].context === current);
    if (match) return providers[match];
  } catch {
    // no kubeconfig: the default provider
  }
  return k3dProvider;
}

export { PROVIDERS };
export type { ClusterProvider };

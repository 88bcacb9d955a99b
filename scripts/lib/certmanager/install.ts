// cert-manager from its OCI chart with its CRDs, then the sandbox CA: a self-signed ClusterIssuer
// signs a CA Certificate (secret in cert-manager), and the CA ClusterIssuer `shopmesh-ca` issues from it.
import type { KubeConfig } from '@kubernetes/client-node';
import { serverSideApply } from '../kube/apply.ts';
import { helmUpgradeInstall } from '../kube/helm.ts';
import { ensureOwnedNamespace, type Ownership } from '../kube/ownership.ts';
import type { KubeObject } from '../kube/render.ts';
import { waitForCrdsEstablished } from '../kube/wait.ts';
import type { Runner } from '../plan.ts';
import { version } from '../versions.ts';

export const CERT_MANAGER_NAMESPACE = 'cert-manager';
export const CA_ISSUER = 'shopmesh-ca';
export const CERT_MANAGER_CRDS = ['certificates.cert-manager.io', 'clusterissuers.cert-manager.io', 'issuers.cert-manager.io'];

// Not labelled part-of shopmesh: a scenario switch prunes by that label, and the CA must outlive scenarios.
const labels = { 'app.kubernetes.io/managed-by': 'shopmesh-up' };

export function sandboxCaObjects(): KubeObject[] {
  return [
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'shopmesh-selfsigned', labels }, spec: { selfSigned: {} } },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: CA_ISSUER, namespace: CERT_MANAGER_NAMESPACE, labels },
      spec: {
        isCA: true,
        commonName: 'shopmesh sandbox CA',
        secretName: CA_ISSUER,
        duration: '8760h',
        privateKey: { algorithm: 'ECDSA', size: 256 },
        issuerRef: { name: 'shopmesh-selfsigned', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    },
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: CA_ISSUER, labels }, spec: { ca: { secretName: CA_ISSUER } } },
  ];
}

export async function installCertManager(runner: Runner, helm: string, kc: KubeConfig, context: string, ownership: Ownership = { ownsCluster: true }, reachable = true): Promise<void> {
  const v = version('charts.certManager');
  await ensureOwnedNamespace(runner, kc, CERT_MANAGER_NAMESPACE, ownership, reachable);
  await runner.step(`cert-manager ${v} with its CRDs`, () =>
    helmUpgradeInstall(runner, helm, context, { release: 'cert-manager', chart: version('charts.certManagerChart'), version: v, namespace: CERT_MANAGER_NAMESPACE, values: { crds: { enabled: true } } }, ownership),
  );
  await runner.step(`sandbox CA: ClusterIssuer ${CA_ISSUER}`, async () => {
    await waitForCrdsEstablished(runner, kc, CERT_MANAGER_CRDS, { timeoutMs: 120_000 });
    await serverSideApply(runner, kc, sandboxCaObjects(), { fieldManager: 'shopmesh' });
  });
}

// Deploying the shop: image substitution on the rendered objects, the users service's JWT key pair,
// the scenario record, and the smoke check through the gateway.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { readObject, serverSideApply } from './apply.ts';
import type { KubeObject } from './render.ts';

export const SHOP_NAMESPACE = 'shop';
export const JWT_SECRET = 'users-jwt-keys';
/** The token orders presents to payments (SERVICE_TOKEN in both Deployments); made per sandbox, never committed. */
export const SERVICE_TOKEN_SECRET = 'shop-service-token';
export const SCENARIO_CONFIGMAP = 'shopmesh-scenario';

interface Container {
  image?: string;
}

function podSpecOf(o: KubeObject): { containers?: Container[]; initContainers?: Container[] } | undefined {
  const spec = o.spec as Record<string, any> | undefined;
  if (!spec) return undefined;
  if (o.kind === 'Pod') return spec;
  if (o.kind === 'CronJob') return spec.jobTemplate?.spec?.template?.spec;
  return spec.template?.spec;
}

/** Like `kustomize edit set image shopmesh/<svc>=<ref>`: rewrites containers whose image is `shopmesh/<svc>[:tag]`. */
export function setImages(objects: KubeObject[], refs: Record<string, string>): KubeObject[] {
  return objects.map((o) => {
    const copy = structuredClone(o);
    const pod = podSpecOf(copy);
    for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      const m = /^shopmesh\/([a-z0-9-]+)(?::[\w.-]+)?$/.exec(c.image ?? '');
      if (m && refs[m[1]!]) c.image = refs[m[1]!];
    }
    return copy;
  });
}

export function jwtKeySecret(): KubeObject {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: JWT_SECRET, namespace: SHOP_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'shopmesh-up' } },
    data: { 'private.pem': Buffer.from(privateKey).toString('base64'), 'public.pem': Buffer.from(publicKey).toString('base64') },
  };
}

/** Creates the users service's RS256 key pair in the cluster when it is missing (it is never written to disk). */
export async function ensureJwtSecret(runner: Runner, kc: KubeConfig, exists: boolean): Promise<void> {
  if (exists) return runner.note(`Secret ${SHOP_NAMESPACE}/${JWT_SECRET} exists`);
  await serverSideApply(runner, kc, [jwtKeySecret()], { fieldManager: 'shopmesh' });
}

/** A fresh random service token for one sandbox (32 bytes, base64url). */
export function serviceTokenSecret(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: SERVICE_TOKEN_SECRET, namespace: SHOP_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'shopmesh-up', app: 'payments' } },
    data: { token: Buffer.from(randomBytes(32).toString('base64url')).toString('base64') },
  };
}

/** Creates the service token once; a re-run keeps it, so running pods keep agreeing. */
export async function ensureServiceTokenSecret(runner: Runner, kc: KubeConfig, exists: boolean): Promise<void> {
  if (exists) return runner.note(`Secret ${SHOP_NAMESPACE}/${SERVICE_TOKEN_SECRET} exists`);
  await serverSideApply(runner, kc, [serviceTokenSecret()], { fieldManager: 'shopmesh' });
}

export async function currentScenario(kc: KubeConfig): Promise<string | undefined> {
  const cm = await readObject<KubeObject & { data?: Record<string, string> }>(kc, { apiVersion: 'v1', kind: 'ConfigMap', namespace: SHOP_NAMESPACE, name: SCENARIO_CONFIGMAP });
  return cm?.data?.name;
}

export const SMOKE_PATHS = ['/api/users/1', '/api/products/101', '/api/orders/5001'];

function get(base: URL, pathname: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, path: pathname, method: 'GET', headers: { host }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The three reference calls through the gateway, retried for a while (routes take a moment to reach Envoy). */
export async function smokeCheck(runner: Runner, opts: { baseUrl: string; host: string; attempts?: number; intervalMs?: number }): Promise<void> {
  await runner.api(`smoke check through the gateway: ${SMOKE_PATHS.map((p) => `GET ${opts.baseUrl}${p} (Host: ${opts.host})`).join(', ')}`, async () => {
    const base = new URL(opts.baseUrl);
    for (const p of SMOKE_PATHS) {
      let last = '';
      let ok = false;
      for (let attempt = 0; attempt < (opts.attempts ?? 30) && !ok; attempt++) {
        try {
          const r = await get(base, p, opts.host);
          ok = r.status === 200;
          last = `${r.status} ${r.body.slice(0, 200)}`;
        } catch (err) {
          last = (err as Error).message;
        }
        if (!ok) await sleep(opts.intervalMs ?? 2000);
      }
      if (!ok) throw new FixableError(`smoke check failed: GET ${p} (Host: ${opts.host}) last answered ${last}`, `look at the gateway and the routes: kubectl get pods -n istio-ingress; kubectl get virtualservice -n shop; npm run status`);
      runner.note(`✓ GET ${p} → 200`);
    }
  });
}

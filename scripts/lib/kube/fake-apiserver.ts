// An in-memory Kubernetes API server on 127.0.0.1 for tests: discovery, get/list, create, delete and
// server-side apply (PATCH application/apply-patch+yaml). It records every request, and can mark
// Deployments available and CRDs Established on write, so waits finish. Test support only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export interface RecordedRequest {
  method: string;
  path: string;
  contentType?: string;
  fieldManager?: string;
  force?: boolean;
}

interface KindInfo {
  kind: string;
  plural: string;
  namespaced: boolean;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterIssuer', 'ClusterRole', 'ClusterRoleBinding', 'Node', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'GatewayClass', 'PersistentVolume', 'StorageClass']);
const KNOWN_KINDS = [
  'Namespace', 'Secret', 'ConfigMap', 'Service', 'ServiceAccount', 'Pod', 'Endpoints', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job',
  'CustomResourceDefinition', 'ClusterIssuer', 'Issuer', 'Certificate', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'HorizontalPodAutoscaler',
  'PodDisruptionBudget', 'NetworkPolicy', 'Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar', 'PeerAuthentication', 'RequestAuthentication',
  'AuthorizationPolicy', 'Telemetry', 'EnvoyFilter', 'HTTPRoute', 'GatewayClass', 'Node',
];

export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower === 'endpoints') return lower;
  return `${lower}s`;
}

const kindInfos: KindInfo[] = KNOWN_KINDS.map((kind) => ({ kind, plural: kind === 'Endpoints' ? 'endpoints' : pluralOf(kind), namespaced: !CLUSTER_SCOPED.has(kind) }));

type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; namespace?: string }; [k: string]: unknown };

export interface FakeApiServerOptions {
  /** Mark Deployments available and CRDs Established as soon as they are written (default true). */
  autoReady?: boolean;
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** Stored objects by resource path, e.g. /api/v1/namespaces/shop/secrets/x. */
  readonly objects = new Map<string, Obj>();
  private server?: http.Server;
  private uid = 0;
  url = '';

  constructor(private readonly options: FakeApiServerOptions = {}) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, Buffer.concat(chunks).toString('utf8'), res);
        } catch (err) {
          this.send(res, 500, status(500, (err as Error).message));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Writes a kubeconfig whose contexts all point at this server; returns its path. */
  writeKubeconfig(contexts: string[], current: string, dir = mkdtempSync(path.join(os.tmpdir(), 'fake-kube-'))): string {
    const file = path.join(dir, 'config');
    writeFileSync(
      file,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': current,
        clusters: contexts.map((c) => ({ name: c, cluster: { server: this.url, 'insecure-skip-tls-verify': true } })),
        users: contexts.map((c) => ({ name: c, user: { token: 'fake' } })),
        contexts: contexts.map((c) => ({ name: c, context: { cluster: c, user: c } })),
      }),
    );
    return file;
  }

  /** Puts an object into the store as if it existed already. */
  seed(obj: Obj): void {
    this.objects.set(this.pathOf(obj), this.prepare(obj));
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): Obj | undefined {
    return this.objects.get(this.pathOf({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }));
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private pathOf(obj: Obj): string {
    const info = kindInfos.find((k) => k.kind === obj.kind) ?? { kind: obj.kind, plural: pluralOf(obj.kind), namespaced: true };
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const ns = info.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${info.plural}/${obj.metadata.name}`;
  }

  private prepare(obj: Obj): Obj {
    const copy = structuredClone(obj);
    copy.metadata.uid ??= `uid-${++this.uid}`;
    copy.metadata.generation ??= 1;
    if (this.options.autoReady ?? true) {
      if (copy.kind === 'Deployment') {
        const replicas = ((copy.spec as { replicas?: number } | undefined)?.replicas ?? 1) as number;
        copy.status = { observedGeneration: copy.metadata.generation, replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas };
      }
      if (copy.kind === 'CustomResourceDefinition') copy.status = { conditions: [{ type: 'Established', status: 'True' }] };
    }
    return copy;
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { method, path: url.pathname };
    if (req.headers['content-type']) record.contentType = String(req.headers['content-type']);
    if (url.searchParams.get('fieldManager')) record.fieldManager = url.searchParams.get('fieldManager')!;
    if (url.searchParams.has('force')) record.force = url.searchParams.get('force') === 'true';
    this.requests.push(record);

    const parts = url.pathname.split('/').filter(Boolean);
    // Discovery: /api/v1 or /apis/<group>/<version>: every known kind is served in every group.
    if ((parts[0] === 'api' && parts.length === 2) || (parts[0] === 'apis' && parts.length === 3)) {
      const groupVersion = parts[0] === 'api' ? parts[1]! : `${parts[1]}/${parts[2]}`;
      return this.send(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion,
        resources: kindInfos.map((k) => ({ name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] })),
      });
    }
    const prefixLen = parts[0] === 'api' ? 2 : 3;
    const rest = parts.slice(prefixLen);
    const collection = rest[0] === 'namespaces' && rest.length >= 3 ? `/${parts.slice(0, prefixLen + 3).join('/')}` : `/${parts.slice(0, prefixLen + 1).join('/')}`;
    const isItem = rest[0] === 'namespaces' ? rest.length >= 4 || rest.length === 2 : rest.length >= 2;
    const itemPath = url.pathname.replace(/\/status$/, '');

    if (method === 'GET' && !isItem) {
      const groupPrefix = `/${parts.slice(0, prefixLen).join('/')}/`;
      const items = [...this.objects.entries()]
        .filter(([p]) => {
          if (p.startsWith(`${collection}/`) && !p.slice(collection.length + 1).includes('/')) return true;
          // A cluster-wide list of a namespaced kind: /apis/apps/v1/deployments.
          const segs = p.split('/');
          return rest.length === 1 && rest[0] !== 'namespaces' && p.startsWith(groupPrefix) && segs[segs.length - 2] === rest[0];
        })
        .map(([, o]) => o);
      const labelSelector = url.searchParams.get('labelSelector');
      const filtered = labelSelector ? items.filter((o) => matchLabels(o, labelSelector)) : items;
      return this.send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: filtered });
    }
    if (method === 'GET') {
      const found = this.objects.get(itemPath);
      return found ? this.send(res, 200, found) : this.send(res, 404, status(404, `${itemPath} not found`));
    }
    if (method === 'DELETE') {
      const found = this.objects.get(itemPath);
      if (!found) return this.send(res, 404, status(404, `${itemPath} not found`));
      this.objects.delete(itemPath);
      return this.send(res, 200, status(200, 'deleted'));
    }
    if (method === 'POST') {
      const obj = JSON.parse(body) as Obj;
      if (!obj.metadata.namespace && rest[0] === 'namespaces') obj.metadata.namespace = rest[1]!;
      const p = `${collection}/${obj.metadata.name}`;
      if (this.objects.has(p)) return this.send(res, 409, status(409, `${p} already exists`));
      const stored = this.prepare(obj);
      this.objects.set(p, stored);
      return this.send(res, 201, stored);
    }
    if (method === 'PATCH' || method === 'PUT') {
      const obj = (record.contentType?.includes('yaml') ? YAML.parse(body) : JSON.parse(body)) as Obj;
      const existing = this.objects.get(itemPath);
      if (method === 'PATCH' && !record.contentType?.includes('apply-patch') && !existing) return this.send(res, 404, status(404, `${itemPath} not found`));
      const merged = existing ? { ...existing, ...obj, metadata: { ...existing.metadata, ...obj.metadata } } : obj;
      const stored = this.prepare(merged as Obj);
      this.objects.set(itemPath, stored);
      return this.send(res, existing ? 200 : 201, stored);
    }
    return this.send(res, 405, status(405, `${method} not supported`));
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

function status(code: number, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: code < 400 ? 'Success' : 'Failure', message, reason: code === 404 ? 'NotFound' : code === 409 ? 'AlreadyExists' : '', code };
}

function matchLabels(o: Obj, selector: string): boolean {
  const labels = (o.metadata.labels ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

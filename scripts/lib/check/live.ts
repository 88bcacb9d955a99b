// `istioctl analyze` in live mode, against the check's local API server: about 20 analyzers (subset
// pods, gateway ports against the gateway's Service, port names, destination hosts, gateway secrets,
// …) read Namespaces, Services, Pods, Secrets and Deployments only from a cluster, never from files.
// So each overlay's Kubernetes side is put on the server for real, as it would run: its Namespaces,
// ServiceAccounts, Services, Secrets and Deployments, one Pod per replica (injected where the webhook
// would inject), the Secrets cert-manager would issue, and the mesh `up` installs (istiod's ConfigMaps,
// Deployment and pod, the ingress gateway's Service, Deployment and pods). The overlay's Istio config
// is given as files, which override the cluster. Overlays follow each other incrementally: only what
// differs is deleted or applied.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ISTIO_NAMESPACE } from '../istio/install.ts';
import { objectRef, type KubeObject } from '../kube/render.ts';
import type { DryRunner } from './dryrun.ts';
import type { RunningPod } from './inject.ts';
import { LayerUnavailable } from './mesh.ts';

const exec = promisify(execFile);

/** Kinds the analyzers read from the cluster (Pods come from the pods as they will run). */
const SERVER_KINDS = new Set(['Namespace', 'ServiceAccount', 'Service', 'Secret', 'Deployment']);
/** Namespaces the API server makes itself: labelled when an overlay declares them, never deleted. */
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
/** Apply order (what a later kind needs exists first); deletion goes the other way. */
const ORDER = ['Namespace', 'ServiceAccount', 'ConfigMap', 'Secret', 'Service', 'Deployment', 'MutatingWebhookConfiguration', 'Pod'];
const ENFORCE = /^pod-security\.kubernetes\.io\/enforce(-version)?$/;

export function keyOf(o: KubeObject): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
}

/** Whether `sync` puts this overlay object on the server (then its verdict is that real apply's). */
export function onServer(o: KubeObject): boolean {
  return SERVER_KINDS.has(o.kind) && (o.apiVersion === 'v1' || o.apiVersion === 'apps/v1');
}

/** The mesh `up` installs, as the cluster holds it: istiod's ConfigMaps, Deployment and pod, the gateway and its pods. */
export interface LiveMesh {
  istiod: KubeObject[];
  istiodPods: RunningPod[];
  gateway: KubeObject[];
  gatewayPods: RunningPod[];
}

/**
 * Pods an overlay declares as Pods: they keep their name on the server, so the injected-pods layer
 * cannot dry-run them beside it; they are created for real after their namespace has its Pod
 * Security labels, and that create is their verdict.
 */
const judged = new WeakSet<KubeObject>();

export function judgedOnServer(pod: KubeObject): boolean {
  return judged.has(pod);
}

function hashOf(value: unknown, length: number): string {
  // The controllers' names use consonants and digits only, so no word forms by chance.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = createHash('sha256').update(JSON.stringify(value)).digest();
  return Array.from(bytes.subarray(0, length), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * The Pods a workload's controller creates: one per replica, named and labelled as the Deployment
 * (`<name>-<template hash>-<suffix>`, label pod-template-hash) or StatefulSet (`<name>-<ordinal>`) does.
 */
export function replicaPods(p: RunningPod): KubeObject[] {
  if (p.from === p.pod || p.from.kind === 'Pod') {
    judged.add(p.pod);
    return [p.pod];
  }
  const spec = p.from.spec as { replicas?: number } | undefined;
  const replicas = ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(p.from.kind) ? Number(spec?.replicas ?? 1) : 1;
  const template = hashOf(p.pod, 10);
  return Array.from({ length: replicas }, (_, i) => {
    const pod = structuredClone(p.pod);
    if (p.from.kind === 'StatefulSet') {
      pod.metadata.name = `${p.from.metadata.name}-${i}`;
      pod.metadata.labels = { ...pod.metadata.labels, 'statefulset.kubernetes.io/pod-name': pod.metadata.name, 'apps.kubernetes.io/pod-index': String(i) };
    } else {
      pod.metadata.name = `${p.from.metadata.name}-${template}-${hashOf([template, i], 5)}`;
      if (p.from.kind === 'Deployment') pod.metadata.labels = { ...pod.metadata.labels, 'pod-template-hash': template };
    }
    return pod;
  });
}

/**
 * The Secrets cert-manager writes for the overlay's Certificates (type kubernetes.io/tls, tls.crt,
 * tls.key and ca.crt, the certificate-name annotation), so the gateway's credentialName is checked
 * against what will be there at run time. The certificates are self-signed stand-ins with the
 * Certificate's names and key algorithm, made with openssl; they are made once per Certificate spec.
 */
export class CertificateSecrets {
  private readonly made = new Map<string, Promise<KubeObject>>();

  secrets(objects: KubeObject[]): Promise<KubeObject[]> {
    const certs = objects.filter((o) => o.kind === 'Certificate' && o.apiVersion.startsWith('cert-manager.io/'));
    return Promise.all(
      certs.map((c) => {
        const key = JSON.stringify([c.metadata.namespace, c.metadata.name, c.spec]);
        let s = this.made.get(key);
        if (!s) this.made.set(key, (s = issue(c)));
        return s;
      }),
    );
  }
}

async function issue(cert: KubeObject): Promise<KubeObject> {
  const spec = (cert.spec ?? {}) as { secretName?: string; commonName?: string; dnsNames?: string[]; isCA?: boolean; privateKey?: { algorithm?: string } };
  if (!spec.secretName) throw new LayerUnavailable(`${objectRef(cert)} has no spec.secretName`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shopmesh-cert-'));
  try {
    const cn = spec.commonName ?? spec.dnsNames?.[0] ?? cert.metadata.name;
    const key = spec.privateKey?.algorithm === 'RSA' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    const ext = [
      ...(spec.dnsNames?.length ? ['-addext', `subjectAltName=${spec.dnsNames.map((d) => `DNS:${d}`).join(',')}`] : []),
      ...(spec.isCA ? ['-addext', 'basicConstraints=critical,CA:TRUE'] : []),
    ];
    try {
      await exec('openssl', ['req', '-x509', ...key, '-nodes', '-days', '90', '-subj', `/CN=${cn}`, ...ext, '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')], { timeout: 30_000 });
    } catch (err) {
      throw new LayerUnavailable(`openssl could not make the certificate cert-manager would issue for ${objectRef(cert)}: ${(err as Error).message.split('\n')[0]}`);
    }
    const crt = readFileSync(path.join(dir, 'tls.crt'));
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: spec.secretName,
        namespace: cert.metadata.namespace ?? 'default',
        annotations: { 'cert-manager.io/certificate-name': cert.metadata.name, 'cert-manager.io/common-name': cn },
      },
      data: { 'tls.crt': crt.toString('base64'), 'tls.key': readFileSync(path.join(dir, 'tls.key')).toString('base64'), 'ca.crt': crt.toString('base64') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the cluster holds while an overlay runs: its Kubernetes objects the analyzers read, its pods
 * (one per replica), the Secrets cert-manager issues, and the mesh; every namespace they live in
 * (bare when the overlay does not declare it, as `up` and helm create them) with its `default`
 * ServiceAccount, which the controller-manager would make.
 */
export function clusterState(objects: KubeObject[], pods: RunningPod[], mesh: LiveMesh | undefined, issued: KubeObject[]): KubeObject[] {
  const istiod = (mesh?.istiod ?? []).flatMap((o) => (o.kind === 'MutatingWebhookConfiguration' ? [unanswered(o)] : (o.kind === 'ConfigMap' && o.metadata.namespace === ISTIO_NAMESPACE) || SERVER_KINDS.has(o.kind) ? [o] : []));
  const gateway = (mesh?.gateway ?? []).filter((o) => SERVER_KINDS.has(o.kind));
  const own = objects.filter(onServer);
  const ownKeys = new Set(own.map(keyOf));
  const podObjects = [...pods, ...(mesh?.istiodPods ?? []), ...(mesh?.gatewayPods ?? [])].flatMap(replicaPods);
  const state = [...own, ...issued.filter((s) => !ownKeys.has(keyOf(s))), ...[...istiod, ...gateway].filter((o) => !ownKeys.has(keyOf(o))), ...podObjects];
  const declared = new Set(state.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const namespaces = new Set(state.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace).map((o) => o.metadata.namespace!));
  const bare = [...namespaces].filter((n) => !declared.has(n)).map((name): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  const accounts = new Set(state.filter((o) => o.kind === 'ServiceAccount').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
  const defaults = [...new Set([...declared, ...namespaces])]
    .filter((ns) => !accounts.has(`${ns}/default`))
    .map((namespace): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } }));
  return [...state, ...bare, ...defaults];
}

/**
 * The injection webhook as istiod's chart renders it, for the analyzers that read its selectors, with
 * one change: no istiod answers here, so the API server must not refuse pods for want of it
 * (failurePolicy Ignore). The pods are injected beforehand by `istioctl kube-inject`, as it would.
 */
function unanswered(mwc: KubeObject): KubeObject {
  const copy = structuredClone(mwc);
  for (const hook of (copy.webhooks as { failurePolicy?: string }[] | undefined) ?? []) hook.failurePolicy = 'Ignore';
  return copy;
}

/** How many objects of `b` are absent from or different in `a`, plus those of `a` that `b` lacks. */
export function churn(a: KubeObject[], b: KubeObject[]): number {
  const am = new Map(a.map((o) => [keyOf(o), JSON.stringify(o)]));
  const bm = new Map(b.map((o) => [keyOf(o), JSON.stringify(o)]));
  let n = 0;
  for (const [k, v] of bm) if (am.get(k) !== v) n++;
  for (const k of am.keys()) if (!bm.has(k)) n++;
  return n;
}

/** A visiting order over states that keeps the changes between neighbours small (nearest first, from the first). */
export function churnOrder(states: KubeObject[][]): number[] {
  if (!states.length) return [];
  const left = new Set(states.keys());
  const order = [0];
  left.delete(0);
  while (left.size) {
    const last = states[order.at(-1)!]!;
    let best = -1;
    let bestCost = Infinity;
    for (const i of left) {
      const c = churn(last, states[i]!);
      if (c < bestCost) [best, bestCost] = [i, c];
    }
    order.push(best);
    left.delete(best);
  }
  return order;
}

export interface SyncStats {
  applied: number;
  deleted: number;
  ms: number;
}

/**
 * The server's state, kept equal to one overlay's at a time. Everything this writes it deletes again
 * (clear()), object by object: no controller-manager runs to empty a deleted namespace.
 */
export class LiveCluster {
  /** What is on the server: key → the JSON applied. */
  private readonly applied = new Map<string, { obj: KubeObject; json: string }>();
  /** The server's answer to the last real apply of each key (null: accepted). */
  readonly verdicts = new Map<string, string | null>();
  readonly stats: SyncStats = { applied: 0, deleted: 0, ms: 0 };

  constructor(private readonly runner: DryRunner) {}

  /** Makes the server hold exactly `desired` (of what this cluster manages), deleting and applying only the difference. */
  async sync(desired: KubeObject[]): Promise<void> {
    const t0 = performance.now();
    const want = new Map(desired.map((o) => [keyOf(o), { obj: o, json: JSON.stringify(o) }]));
    const rank = (o: KubeObject) => {
      const i = ORDER.indexOf(o.kind);
      return i < 0 ? ORDER.length - 1 : i;
    };
    // Deletions, the dependents first; pods are never updated (a changed pod has another name).
    const gone = [...this.applied.entries()].filter(([k]) => !want.has(k));
    for (let r = ORDER.length - 1; r >= 0; r--) {
      await Promise.all(gone.filter(([, v]) => rank(v.obj) === r).map(([k, v]) => this.remove(k, v.obj)));
    }
    const changed = [...want.entries()].filter(([k, v]) => this.applied.get(k)?.json !== v.json);
    // Pod Security is judged by the injected-pods layer, on a dry-run in the fully labelled namespace;
    // here a pod it would refuse must still exist, or every analyzer would report its absence instead.
    // So a namespace that enforces a level loses those labels while its new pods are created.
    const podNamespaces = new Set(changed.filter(([, v]) => v.obj.kind === 'Pod').map(([, v]) => v.obj.metadata.namespace));
    const relaxed: KubeObject[] = [];
    for (const [, v] of want) {
      if (v.obj.kind !== 'Namespace' || !podNamespaces.has(v.obj.metadata.name)) continue;
      const labels = v.obj.metadata.labels ?? {};
      if (!Object.keys(labels).some((l) => ENFORCE.test(l))) continue;
      relaxed.push(v.obj);
      const open = structuredClone(v.obj);
      open.metadata.labels = Object.fromEntries(Object.entries(labels).filter(([l]) => !ENFORCE.test(l)));
      await this.put(keyOf(v.obj), open, false);
    }
    const later = (o: KubeObject) => o.kind === 'Pod' && judged.has(o);
    for (let r = 0; r < ORDER.length; r++) {
      await Promise.all(changed.filter(([, v]) => rank(v.obj) === r && !relaxed.includes(v.obj) && !later(v.obj)).map(([k, v]) => this.put(k, v.obj)));
    }
    for (const ns of relaxed) await this.put(keyOf(ns), ns);
    await Promise.all(changed.filter(([, v]) => later(v.obj)).map(([k, v]) => this.put(k, v.obj)));
    this.stats.ms += performance.now() - t0;
  }

  /** Server-side apply; an object the server will not update in place (an immutable field) is deleted and created. */
  private async put(key: string, obj: KubeObject, record = true): Promise<void> {
    let err = await this.runner.apply(obj);
    if (err && this.applied.has(key) && obj.kind !== 'Namespace') {
      await this.remove(key, this.applied.get(key)!.obj);
      err = await this.runner.apply(obj);
    }
    this.stats.applied++;
    if (err) {
      this.applied.delete(key);
    } else {
      this.applied.set(key, { obj, json: record ? JSON.stringify(obj) : '' });
    }
    if (record) this.verdicts.set(key, err);
  }

  private async remove(key: string, obj: KubeObject): Promise<void> {
    this.applied.delete(key);
    if (obj.kind === 'Namespace' && SYSTEM_NAMESPACES.has(obj.metadata.name)) return;
    await this.runner.remove(obj);
    this.stats.deleted++;
  }

  /** Deletes everything this cluster applied. */
  async clear(): Promise<void> {
    await this.sync([]);
  }
}

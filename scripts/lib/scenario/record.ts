// The scenario record: ConfigMap shop/shopmesh-scenario holds the applied scenario's name and the
// refs of every object it applied, so the next switch deletes exactly what is no longer rendered.
import type { ObjectRef } from '../kube/apply.ts';
import type { KubeObject } from '../kube/render.ts';

export const RECORD = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'shopmesh-scenario' } as const;
// The same manager as `npm run up`, so a field the baseline set and a scenario drops is removed, not orphaned.
export const FIELD_MANAGER = 'shopmesh';

/** What `npm run up` installs carries this label (scripts/lib/certmanager/install.ts and others); a scenario never prunes it. */
export const UP_OWNED = { key: 'app.kubernetes.io/managed-by', value: 'shopmesh-up' } as const;

export function ownedByUp(labels: Record<string, string> | undefined): boolean {
  return labels?.[UP_OWNED.key] === UP_OWNED.value;
}

export function refOf(o: KubeObject): ObjectRef {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
}

const key = (r: ObjectRef): string => `${r.apiVersion.split('/')[0]}|${r.kind}|${r.namespace ?? ''}|${r.name}`;

/** The rendered objects with the record filled in (name and refs); adds the record if the overlay lacks it. */
export function withRecord(objects: readonly KubeObject[], scenario: string): KubeObject[] {
  const isRecord = (o: KubeObject) => o.kind === RECORD.kind && o.metadata.name === RECORD.name && (o.metadata.namespace ?? RECORD.namespace) === RECORD.namespace;
  const base = objects.find(isRecord) ?? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RECORD.name, namespace: RECORD.namespace, labels: { 'app.kubernetes.io/part-of': 'shopmesh' } } };
  const rest = objects.filter((o) => !isRecord(o));
  // up's own objects may be applied by an overlay, but they stay up's: never recorded, so never pruned.
  const refs = [...rest.filter((o) => !ownedByUp(o.metadata.labels)).map(refOf), { apiVersion: RECORD.apiVersion, kind: RECORD.kind, namespace: RECORD.namespace, name: RECORD.name }];
  const record: KubeObject = {
    ...base,
    metadata: { ...base.metadata, namespace: RECORD.namespace },
    data: { ...((base.data as Record<string, string> | undefined) ?? {}), name: scenario, refs: JSON.stringify(refs) },
  };
  return [...rest, record];
}

export function readRecord(configMap: { data?: Record<string, string> } | undefined): { name?: string; refs: ObjectRef[] } {
  if (!configMap?.data) return { refs: [] };
  let refs: ObjectRef[] = [];
  try {
    const parsed = JSON.parse(configMap.data.refs ?? '[]') as unknown;
    if (Array.isArray(parsed)) refs = parsed.filter((r): r is ObjectRef => !!r && typeof r === 'object' && typeof (r as ObjectRef).kind === 'string' && typeof (r as ObjectRef).name === 'string');
  } catch {
    refs = [];
  }
  return { ...(configMap.data.name ? { name: configMap.data.name } : {}), refs };
}

/** Refs the previous scenario applied that the new one does not render: these get deleted. Namespaces go last. */
export function refsToPrune(previous: readonly ObjectRef[], next: readonly KubeObject[]): ObjectRef[] {
  const keep = new Set(next.map((o) => key(refOf(o))));
  const gone = previous.filter((r) => !keep.has(key(r)));
  return [...gone.filter((r) => r.kind !== 'Namespace'), ...gone.filter((r) => r.kind === 'Namespace')];
}

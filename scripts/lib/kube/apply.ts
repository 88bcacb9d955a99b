// Server-side apply and deletion of arbitrary objects through client-node, recorded in the plan.
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Runner } from '../plan.ts';
import { objectRef, type KubeObject } from './render.ts';
import { isNotFound } from './errors.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

// Kinds that others depend on go first, so one apply of a mixed list succeeds.
const FIRST = ['CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'Secret', 'ConfigMap'];

export function applyOrder(objects: KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject) => {
    const i = FIRST.indexOf(o.kind);
    return i === -1 ? FIRST.length : i;
  };
  return objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map(({ o }) => o);
}

/** Applies each object with server-side apply (forced, so the sandbox's field manager wins conflicts). */
export async function serverSideApply(runner: Runner, kc: KubeConfig, objects: KubeObject[], opts: { fieldManager: string }): Promise<void> {
  const client = runner.dryRun ? undefined : KubernetesObjectApi.makeApiClient(kc);
  for (const object of applyOrder(objects)) {
    await runner.api(`server-side apply ${object.apiVersion} ${objectRef(object)} (field manager ${opts.fieldManager})`, async () => {
      // managedFields may not be sent with an apply patch.
      const { managedFields: _ignored, ...metadata } = object.metadata as KubeObject['metadata'] & { managedFields?: unknown };
      await client!.patch({ ...object, metadata } as KubernetesObject, undefined, undefined, opts.fieldManager, true, PatchStrategy.ServerSideApply);
    });
  }
}

/** Deletes each object; one that is already gone (404) is fine. */
export async function deleteObjects(runner: Runner, kc: KubeConfig, refs: ObjectRef[]): Promise<void> {
  const client = runner.dryRun ? undefined : KubernetesObjectApi.makeApiClient(kc);
  for (const ref of refs) {
    const label = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
    await runner.api(`delete ${ref.apiVersion} ${label}`, async () => {
      try {
        await client!.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }
}

/** Reads one object, or undefined when it does not exist. A read-only lookup: it runs in dry-run too. */
export async function readObject<T extends KubernetesObject = KubeObject>(kc: KubeConfig, ref: ObjectRef): Promise<T | undefined> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  try {
    return (await client.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } })) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

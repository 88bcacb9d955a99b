// Renders a kustomization with the real kustomize (`kubectl kustomize`) and parses the objects.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import YAML from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

const run = promisify(execFile);

export class RenderError extends Error {}

/** `kubectl kustomize <dir>`; kubectl comes from PATH (scripts put the project's pinned tools first). */
export async function renderKustomization(dir: string, kubectl = process.env.KUBECTL ?? 'kubectl'): Promise<KubeObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(kubectl, ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new RenderError(`kubectl is not on PATH; it renders the overlays (install it, or run \`npm run doctor\`)`);
    throw new RenderError(`${dir}: kustomize failed: ${(e.stderr ?? e.message).trim()}`);
  }
  return parseManifests(stdout);
}

export function parseManifests(text: string): KubeObject[] {
  return YAML.parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new RenderError(`invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

export function objectRef(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

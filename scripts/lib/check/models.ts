// Finds the @kubernetes-models class for an apiVersion/kind, from the installed packages, so the
// check knows exactly the kinds the packages know and nothing is hand-listed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../versions.ts';

/** The packages whose models the check knows: Kubernetes core, Istio, cert-manager, Gateway API. */
export const MODEL_PACKAGES = ['kubernetes-models', '@kubernetes-models/istio', '@kubernetes-models/cert-manager', '@kubernetes-models/gateway-api'] as const;

export interface ModelRef {
  /** Import specifier of the module, e.g. `kubernetes-models/apps/v1/Deployment`. */
  specifier: string;
  /** The exact TypeScript interface exported by that module, e.g. `IDeployment`. */
  interfaceName: string;
  validate: (data: unknown) => void;
}

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

type ModelClass = { new (data: unknown): { validate(): void }; kind?: string; apiVersion?: string };

const cache = new Map<string, Promise<ModelRef | null>>();

export function findModel(apiVersion: string, kind: string, nodeModules = path.join(repoRoot, 'node_modules')): Promise<ModelRef | null> {
  const key = `${apiVersion}/${kind}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = load(apiVersion, kind, nodeModules);
    cache.set(key, hit);
  }
  return hit;
}

async function load(apiVersion: string, kind: string, nodeModules: string): Promise<ModelRef | null> {
  if (!/^[A-Za-z0-9.-]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return null;
  for (const pkg of MODEL_PACKAGES) {
    const file = path.join(nodeModules, pkg, apiVersion, `${kind}.js`);
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as Record<string, ModelClass | undefined>;
    const cls = mod[kind];
    // apps/v1/DeploymentSpec.js exists too: only a class that declares this kind is a top-level kind.
    if (!cls || cls.kind !== kind || cls.apiVersion !== apiVersion) continue;
    return {
      specifier: `${pkg}/${apiVersion}/${kind}`,
      interfaceName: `I${kind}`,
      validate: (data) => new cls(data).validate(),
    };
  }
  return null;
}

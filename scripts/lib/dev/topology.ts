// Which service calls which, read from each service's own manifests: a container env var
// `<NAME>_URL` whose value is `http://<service>:…` names an upstream. The dev runner and the test
// harness start services leaf-first from it, so a new service's calls need declaring only once.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../versions.ts';

const cache = new Map<string, readonly string[]>();

/** The services `service` calls, from the Deployments in services/<service>/k8s. */
export function upstreamsOf(service: string, servicesDir = path.join(repoRoot, 'services')): readonly string[] {
  const key = path.join(servicesDir, service);
  const known = cache.get(key);
  if (known) return known;
  const dir = path.join(key, 'k8s');
  const found = new Set<string>();
  if (existsSync(dir)) {
    for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
      for (const doc of YAML.parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
        const o = doc.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } } } | null;
        if (o?.kind !== 'Deployment') continue;
        for (const c of o.spec?.template?.spec?.containers ?? []) {
          for (const e of c.env ?? []) {
            const m = /^https?:\/\/([a-z0-9-]+)(?:[.:/]|$)/.exec(e.value ?? '');
            if (e.name.endsWith('_URL') && m && m[1] !== service) found.add(m[1]!);
          }
        }
      }
    }
  }
  const result = Object.freeze([...found].sort());
  cache.set(key, result);
  return result;
}

/** The variable that carries a service's base URL: products -> PRODUCTS_URL. */
export function urlVariable(service: string): string {
  return `${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

/**
 * Groups services into start waves: every service comes after the upstreams it calls that are in
 * the set. Services in one wave can start together. Names within a wave keep the input order.
 */
export function startWaves(services: readonly string[]): string[][] {
  const pending = new Set(services);
  const waves: string[][] = [];
  // Each wave starts at least one service, so this loop runs at most services.length times.
  while (pending.size > 0) {
    const wave = [...pending].filter((s) => upstreamsOf(s).every((u) => u === s || !pending.has(u)));
    if (wave.length === 0) throw new Error(`services call each other in a cycle: ${[...pending].join(', ')}`);
    for (const s of wave) pending.delete(s);
    waves.push(wave);
  }
  return waves;
}

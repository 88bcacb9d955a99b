// Reads versions.yaml, the one place where tool, chart and image versions are pinned.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import YAML from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type Versions = Readonly<Record<string, unknown>>;

let cached: Versions | undefined;

export function loadVersions(file = path.join(repoRoot, 'versions.yaml')): Versions {
  if (cached && file === path.join(repoRoot, 'versions.yaml')) return cached;
  const parsed = YAML.parse(readFileSync(file, 'utf8')) as Versions;
  if (!parsed || typeof parsed !== 'object') throw new Error(`${file} is not a YAML mapping`);
  const frozen = deepFreeze(parsed);
  if (file === path.join(repoRoot, 'versions.yaml')) cached = frozen;
  return frozen;
}

/** Looks up a dotted key (for example `istio.version`) and fails with the key's name if it is missing. */
export function version(key: string, versions: Versions = loadVersions()): string {
  let node: unknown = versions;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) throw new Error(`versions.yaml has no "${key}"`);
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node !== 'string' && typeof node !== 'number') throw new Error(`versions.yaml "${key}" is not a scalar`);
  return String(node);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

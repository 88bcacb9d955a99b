// Content tags: an image's tag is a hash of exactly what goes into it (the files its Dockerfile
// target copies, less .dockerignore, plus the Dockerfile and the base image pin), so an unchanged
// service keeps its tag and is not rebuilt.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { contextSources, isIgnored, parseDockerfile, readDockerignore, type IgnoreRule } from './dockerfile.ts';

export const DOCKERFILE = 'Dockerfile';
export const PRODUCTION_TARGET = 'production';

export interface TagInputs {
  root: string;
  service: string;
  baseImage: string;
  target?: string;
}

export interface ContentTag {
  tag: string;
  /** The context files that went into the hash, relative to root, sorted. */
  files: string[];
}

function walk(root: string, rel: string, rules: readonly IgnoreRule[], out: string[]): void {
  if (isIgnored(rel, rules)) return;
  const abs = path.join(root, rel);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new Error(`${rel}: the Dockerfile copies it, but it does not exist`);
  }
  if (st.isDirectory()) {
    for (const entry of readdirSync(abs).sort()) walk(root, path.posix.join(rel, entry), rules, out);
  } else if (st.isFile()) out.push(rel);
}

/** The context files a service's image is built from. */
export function imageFiles(inputs: TagInputs): string[] {
  const dockerfile = parseDockerfile(readFileSync(path.join(inputs.root, DOCKERFILE), 'utf8'));
  const sources = contextSources(dockerfile, inputs.target ?? PRODUCTION_TARGET, { SERVICE: inputs.service, NODE_IMAGE: inputs.baseImage });
  const rules = readDockerignore(inputs.root);
  const files: string[] = [];
  for (const s of sources) walk(inputs.root, s, rules, files);
  return [...new Set(files)].sort();
}

export function contentTag(inputs: TagInputs): ContentTag {
  const files = imageFiles(inputs);
  const hash = createHash('sha256');
  const target = inputs.target ?? PRODUCTION_TARGET;
  hash.update(`service\0${inputs.service}\nbase\0${inputs.baseImage}\ntarget\0${target}\n`);
  for (const rel of [DOCKERFILE, ...files]) {
    const digest = createHash('sha256').update(readFileSync(path.join(inputs.root, rel))).digest('hex');
    hash.update(`file\0${rel}\0${digest}\n`);
  }
  return { tag: hash.digest('hex').slice(0, 16), files };
}

// Generated provider config files live in .cache/ (gitignored); writing one is a recorded step.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Runner } from '../plan.ts';
import { repoRoot } from '../versions.ts';

export function cacheFile(name: string, root = process.env.SHOPMESH_CACHE_DIR ?? path.join(repoRoot, '.cache')): string {
  return path.join(root, name);
}

export async function writeGeneratedFile(runner: Runner, file: string, content: string): Promise<void> {
  await runner.api(
    `write ${path.relative(repoRoot, file) || file}`,
    async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    content,
  );
}

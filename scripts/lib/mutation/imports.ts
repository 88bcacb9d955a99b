// Which top-level folders a module's tests reach through their relative imports, so the mutation
// sandbox holds them without anyone keeping a list in step (a fixture moved to test/support once
// broke two modules' runs silently).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Static `import … from './x'`, `export … from './x'`, bare `import './x'` and `import('./x')` with a
// literal specifier. Only relative specifiers: packages come from the linked node_modules.
const SPECIFIERS = [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g, /\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g, /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g];

/** The relative specifiers one source text imports, in order of appearance per pattern. */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const pattern of SPECIFIERS) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/**
 * Every repo-relative file reached from `entries` by relative imports, the entries included. A
 * specifier that names no file is skipped: Node reports it when the tests run.
 */
export function importClosure(entries: readonly string[], repoRoot: string): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  // Bounded by the number of files in the repository: each file enters once.
  while (queue.length) {
    const rel = queue.shift()!;
    if (seen.has(rel)) continue;
    const abs = path.join(repoRoot, rel);
    if (!existsSync(abs)) continue;
    seen.add(rel);
    for (const spec of relativeImports(readFileSync(abs, 'utf8'))) {
      const target = path.relative(repoRoot, path.resolve(path.dirname(abs), spec));
      if (!target.startsWith('..') && !seen.has(target)) queue.push(target);
    }
  }
  return [...seen];
}

/** The top-level folders (or files) those imports live in. */
export function topLevelPaths(files: readonly string[]): string[] {
  return [...new Set(files.map((f) => f.split(/[\\/]/)[0]!))].sort();
}

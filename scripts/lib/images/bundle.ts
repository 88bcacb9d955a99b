// Compiles one service to a single ESM file with esbuild: the production image and the cold-start
// benchmark both run this output, so neither needs tsx or TypeScript at run time.
import path from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../versions.ts';

export interface BundleResult {
  outFile: string;
  bytes: number;
}

/** Bundles services/<service>/src/main.ts into <outDir>/main.mjs. */
export async function bundleService(service: string, outDir: string): Promise<BundleResult> {
  const outFile = path.join(outDir, 'main.mjs');
  const result = await build({
    entryPoints: [path.join(repoRoot, 'services', service, 'src', 'main.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    sourcemap: 'linked',
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // A bundled CommonJS dependency calls require() for Node built-ins; none does today, but without
    // this one added later would fail only when the image runs.
    banner: { js: "import { createRequire as __shopmeshRequire } from 'node:module'; const require = __shopmeshRequire(import.meta.url);" },
  });
  const bytes = Object.values(result.metafile.outputs)
    .reduce((sum, o) => sum + o.bytes, 0);
  return { outFile, bytes };
}

// Test helper: a small copy of the repository in a temp folder (the real Dockerfile, .dockerignore
// and bundler, two fake services), so content tags and build plans can be checked on files the
// test controls.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/versions.ts';

export interface FixtureRepo {
  root: string;
  write(rel: string, content: string): void;
  remove(): void;
}

export const FIXTURE_NODE_IMAGE = 'node:24.0.0-slim';

export function makeFixtureRepo(services: readonly string[] = ['alpha', 'beta']): FixtureRepo {
  const root = mkdtempSync(path.join(tmpdir(), 'shopmesh-images-'));
  const write = (rel: string, content: string): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };
  for (const rel of ['Dockerfile', '.dockerignore', 'tsconfig.json', 'scripts/lib/versions.ts', 'scripts/lib/images/bundle.ts', 'scripts/lib/images/bundle-entry.ts']) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    cpSync(path.join(repoRoot, rel), path.join(root, rel));
  }
  write('package.json', '{"name":"fixture","type":"module"}\n');
  write('package-lock.json', '{"lockfileVersion":3}\n');
  write('versions.yaml', `images:\n  node: ${FIXTURE_NODE_IMAGE}\n`);
  write('services/shared/src/config.ts', 'export const shared = 1;\n');
  write('services/shared/src/config.test.ts', 'export {};\n');
  for (const s of services) {
    write(`services/${s}/src/main.ts`, `import { shared } from '../../shared/src/config.ts';\nconsole.log('${s}', shared);\n`);
    write(`services/${s}/src/app.ts`, 'export const app = 1;\n');
    write(`services/${s}/src/app.test.ts`, 'export {};\n');
    write(`services/${s}/k8s/deployment.yaml`, 'kind: Deployment\n');
    write(`services/${s}/README.md`, `# ${s}\n`);
  }
  // Not a service: no src/main.ts.
  write('services/testing/harness.ts', 'export {};\n');
  write('node_modules/left-pad/index.js', 'module.exports = 1;\n');
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

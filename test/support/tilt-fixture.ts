// Test support: a small shop for the real Tiltfile, in a temp folder. Two services (alpha, and
// products in two versions), a tools pod, Istio objects, a baseline and a canary overlay and a
// component that is no scenario; kustomize renders it for real. The Tiltfile, Dockerfile and
// tsconfig are the repository's (a test may rewrite the Tiltfile to inject a mistake); scripts/ and
// node_modules/ are symlinked so the Tiltfile's inventory script runs with tsx.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../../scripts/lib/versions.ts';

export const TILT_FIXTURE_NODE_IMAGE = 'node:24.0.0-slim';
export const TILT_FIXTURE_SERVICES = ['alpha', 'products'] as const;

export interface TiltFixture {
  root: string;
  write(rel: string, content: string): void;
  /** Rewrites the fixture's Tiltfile (the repository's copy) by one exact, unique replacement. */
  editTiltfile(from: string, to: string): void;
  remove(): void;
}

/** A Deployment as the shop's manifests write them (name `<app>-<version>`, one container). */
export function fixtureDeployment(name: string, image: string): Record<string, unknown> {
  const app = name.replace(/-v\d+$/, '');
  const labels = { app, version: name.slice(app.length + 1) || 'v1' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: app,
              image,
              securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: true },
              resources: { limits: { memory: '160Mi', cpu: '250m' } },
            },
          ],
        },
      },
    },
  };
}

export const yamlStream = (objects: Record<string, unknown>[]): string => objects.map((o) => YAML.stringify(o)).join('---\n');

export function makeTiltFixture(): TiltFixture {
  const root = mkdtempSync(path.join(tmpdir(), 'shopmesh-tilt-'));
  const write = (rel: string, content: string): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };
  for (const rel of ['Tiltfile', 'Dockerfile', 'tsconfig.json']) cpSync(path.join(repoRoot, rel), path.join(root, rel));
  symlinkSync(path.join(repoRoot, 'scripts'), path.join(root, 'scripts'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  write('versions.yaml', `images:\n  node: ${TILT_FIXTURE_NODE_IMAGE}\n`);
  write('package.json', JSON.stringify({ type: 'module', scripts: { 'scenario:baseline': 'true', 'scenario:canary': 'true' } }));
  write('package-lock.json', '{"lockfileVersion":3}\n');
  write('services/shared/src/config.ts', 'export {};\n');
  for (const s of TILT_FIXTURE_SERVICES) write(`services/${s}/src/main.ts`, 'export {};\n');
  // Not a service: no src/main.ts.
  write('services/testing/harness.ts', 'export {};\n');

  write('kustomization.yaml', 'resources:\n  - overlays/baseline\n');
  write('overlays/baseline/kustomization.yaml', 'resources:\n  - shop.yaml\n');
  write(
    'overlays/baseline/shop.yaml',
    yamlStream([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'products', namespace: 'shop' }, spec: { selector: { app: 'products' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
      fixtureDeployment('alpha-v1', 'shopmesh/alpha'),
      fixtureDeployment('products-v1', 'shopmesh/products'),
      fixtureDeployment('products-v2', 'shopmesh/products'),
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'products', namespace: 'shop' }, spec: { hosts: ['products'], http: [{ route: [{ destination: { host: 'products' } }] }] } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'shop-gateway', namespace: 'istio-ingress' }, spec: { selector: { istio: 'ingress' } } },
    ]),
  );
  write('overlays/canary/kustomization.yaml', 'resources:\n  - ../baseline\n  - canary.yaml\n');
  write(
    'overlays/canary/canary.yaml',
    yamlStream([
      fixtureDeployment('curl-client', 'curlimages/curl:8.10.1'),
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'products', namespace: 'shop' }, spec: { host: 'products' } },
    ]),
  );
  write('overlays/components/shop-defaults/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n');

  const editTiltfile = (from: string, to: string): void => {
    const file = path.join(root, 'Tiltfile');
    const text = readFileSync(file, 'utf8');
    if (text.split(from).length !== 2) throw new Error(`the Tiltfile has not exactly one ${JSON.stringify(from)}`);
    writeFileSync(file, text.replace(from, to));
  };
  return { root, write, editTiltfile, remove: () => rmSync(root, { recursive: true, force: true }) };
}

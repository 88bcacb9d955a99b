// The CustomResourceDefinitions the local API server installs (tests, `npm run check`), made from
// the pinned upstreams, never copied: Gateway API's standard channel and cert-manager's generated
// from their Go types with controller-tools (tools/crds), Istio's from the pinned istioctl's
// embedded base chart. They are kept in .cache/crds/<key>/, keyed by everything that decides them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { repoRoot, version } from '../versions.ts';
import { startLocalApiServer } from '../kube/local-apiserver.ts';
import type { GoEnv } from './gobuild.ts';

export const CRD_SETS = ['gateway-api', 'cert-manager', 'istio'] as const;
export type CrdSet = (typeof CRD_SETS)[number];

/** One CRD each set must contain, so an empty or truncated generation is caught at once. */
const SENTINEL: Record<CrdSet, string> = {
  'gateway-api': 'httproutes.gateway.networking.k8s.io',
  'cert-manager': 'certificates.cert-manager.io',
  istio: 'virtualservices.networking.istio.io',
};

const MODULE_DIR = path.join(repoRoot, 'tools', 'crds');
const GENERATOR_FILES = ['go.mod', 'go.sum', 'gatewayapi/main.go'];

/** The cache key: the pinned versions and the generator's own sources. */
export function crdKey(moduleDir = MODULE_DIR): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([version('crds.gatewayApi'), version('charts.certManager'), version('tools.istioctl')]));
  for (const f of GENERATOR_FILES) h.update(readFileSync(path.join(moduleDir, f)));
  return h.digest('hex').slice(0, 16);
}

export function crdDir(root = repoRoot): string {
  return path.join(root, '.cache', 'crds', crdKey());
}

function crdFile(dir: string, set: CrdSet): string {
  return path.join(dir, `${set}.yaml`);
}

/** etcd's data after the pinned API server installed every CRD: it starts the test servers seconds sooner. */
function seedDir(dir: string): string {
  return path.join(dir, `etcd-seed-${version('tools.kube-apiserver')}-${version('tools.etcd')}`);
}

/** The etcd seed for the pinned versions, or undefined when `npm run tools` has not made it (the CRDs are then installed at start). */
export function crdEtcdSeed(root = repoRoot): string | undefined {
  const seed = seedDir(crdDir(root));
  return existsSync(seed) ? seed : undefined;
}

/** The CRD files for the pinned versions; a clear error naming the fix when they were never made. */
export function crdFiles(root = repoRoot): string[] {
  const dir = crdDir(root);
  const files = CRD_SETS.map((s) => crdFile(dir, s));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) throw new FixableError(`the CRDs for the pinned versions are missing: ${missing.map((f) => path.relative(root, f)).join(', ')}`, 'run `npm run tools` (it generates them once)');
  return files;
}

function crdsOf(text: string): Array<{ kind: string; metadata: { name: string } }> {
  return YAML.parseAllDocuments(text)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
    .filter((o): o is { kind: string; metadata: { name: string } } => o?.kind === 'CustomResourceDefinition' && typeof o.metadata?.name === 'string');
}

function toYaml(objects: unknown[]): string {
  return objects.map((o) => `---\n${YAML.stringify(o, { lineWidth: 0 })}`).join('');
}

export interface ProvisionCrdsOptions {
  go: GoEnv;
  /** The pinned istioctl (normally .bin/istioctl). */
  istioctl: string;
  /** Where etcd and kube-apiserver are, for the etcd seed (default: the project's .bin/). */
  binDir?: string;
  root?: string;
}

/**
 * Writes the three CRD sets into .cache/crds/<key>/ unless they are there already, then the etcd
 * seed: a local API server with every CRD installed, its etcd data kept. Generation takes about a
 * minute the first time (controller-gen compiles, then reads the API packages); the seed seconds.
 */
export async function provisionCrds(runner: Runner, opts: ProvisionCrdsOptions): Promise<'cache' | 'generated'> {
  const root = opts.root ?? repoRoot;
  const dir = crdDir(root);
  const had = CRD_SETS.every((s) => existsSync(crdFile(dir, s)));
  if (!had) await generateCrds(runner, opts, dir);
  const seed = seedDir(dir);
  if (had && existsSync(seed)) return 'cache';
  await runner.api(`start etcd and kube-apiserver, install the CRDs, keep etcd's data in ${path.relative(root, seed)}`, async () => {
    const server = await startLocalApiServer({ crdFiles: CRD_SETS.map((s) => crdFile(dir, s)), ...(opts.binDir ? { binDir: opts.binDir } : {}) });
    const partial = `${seed}.partial-${process.pid}`;
    try {
      await server.stop({ saveEtcdTo: partial });
      rmSync(seed, { recursive: true, force: true });
      renameSync(partial, seed);
    } finally {
      await server.stop();
      rmSync(partial, { recursive: true, force: true });
    }
  });
  return 'generated';
}

async function generateCrds(runner: Runner, opts: ProvisionCrdsOptions, dir: string): Promise<void> {
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    const goOpts = { cwd: MODULE_DIR, env: { GOFLAGS: '-mod=readonly' } };
    await runner.exec(opts.go.go, ['run', './gatewayapi', '-channel', 'standard', '-out', crdFile(partial, 'gateway-api')], goOpts);

    const cmDir = path.join(partial, 'cert-manager');
    await runner.exec(opts.go.go, ['tool', 'controller-gen', 'crd', 'paths=github.com/cert-manager/cert-manager/pkg/apis/...', `output:crd:dir=${cmDir}`], goOpts);

    const istio = await runner.exec(opts.istioctl, ['manifest', 'generate']);
    if (runner.dryRun) return;

    // controller-gen writes one file per CRD; one file per set is what the API server launcher reads.
    const cmFiles = readdirSync(cmDir).filter((f) => f.endsWith('.yaml')).sort();
    writeFileSync(crdFile(partial, 'cert-manager'), toYaml(cmFiles.flatMap((f) => crdsOf(readFileSync(path.join(cmDir, f), 'utf8')))));
    rmSync(cmDir, { recursive: true, force: true });
    writeFileSync(crdFile(partial, 'istio'), toYaml(crdsOf(istio.stdout)));

    for (const set of CRD_SETS) {
      const names = crdsOf(readFileSync(crdFile(partial, set), 'utf8')).map((c) => c.metadata.name);
      if (!names.includes(SENTINEL[set])) throw new Error(`the ${set} CRDs came out without ${SENTINEL[set]} (${names.length} CRDs)`);
    }
    mkdirSync(path.dirname(dir), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

// Captures test/fixtures/xds/claims.json, the real shapes scripts/lib/xds/claims.test.ts reads: every shipped overlay rendered,
// derived and run through .bin/shopmesh-xds (as `npm run xds --all` does), each XdsResult pruned to
// the fields callsFor and checkClaims read (recorded while they run), so the file stays small.
// Re-run after an Istio bump: node --import tsx test/support/xds-claims-fixture.ts [--dry-run]
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseCommand, runMain } from '../../scripts/lib/cli.ts';
import { renderKustomization, type KubeObject } from '../../scripts/lib/kube/render.ts';
import { SCENARIO_NAMES, type Expectations, type ScenarioName } from '../../loadtests/lib/expectations.ts';
import { repoRoot, version } from '../../scripts/lib/versions.ts';
import { callsFor, checkClaims } from '../../scripts/lib/xds/claims.ts';
import type { XdsResult } from '../../scripts/lib/xds/generate.ts';
import { proveTargets } from '../../scripts/lib/xds/index.ts';

export interface ClaimsFixtureScenario {
  scenario: ScenarioName;
  expectations: Expectations;
  /** The overlay's Deployments: names, template labels and env, all the claims read of them. */
  objects: KubeObject[];
  result: XdsResult;
}

export interface ClaimsFixture {
  about: string;
  istio: string;
  scenarios: ClaimsFixtureScenario[];
}

export const FIXTURE = path.join(repoRoot, 'test', 'fixtures', 'xds', 'claims.json');

type Reads = Map<string, Reads>;

/** A view of `value` that notes every own property read through it. */
function recorded<T>(value: T, reads: Reads): T {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof key === 'symbol' || typeof v === 'function' || !Object.hasOwn(target, key)) return v;
      if (!reads.has(key)) reads.set(key, new Map());
      return recorded(v, reads.get(key)!);
    },
  }) as T;
}

/** Only what was read; array elements keep their positions (a route index must still point right). */
function pruned(value: unknown, reads: Reads): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const last = Math.max(-1, ...[...reads.keys()].map(Number).filter(Number.isInteger));
    return value.slice(0, last + 1).map((el, i) => (reads.has(String(i)) ? pruned(el, reads.get(String(i))!) : {}));
  }
  return Object.fromEntries([...reads].filter(([k]) => Object.hasOwn(value, k)).map(([k, sub]) => [k, pruned((value as Record<string, unknown>)[k], sub)]));
}

function deploymentsOf(objects: readonly KubeObject[]): KubeObject[] {
  type Spec = { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { name: string; env?: unknown[] }[] } } };
  return objects
    .filter((o) => o.kind === 'Deployment')
    .map((o) => {
      const t = (o.spec as Spec | undefined)?.template;
      // Only literal values: envOf reads no valueFrom.
      const env = (c: { env?: unknown[] }) => (c.env ?? []).filter((e) => typeof (e as { value?: unknown }).value === 'string');
      const containers = (t?.spec?.containers ?? []).map((c) => ({ name: c.name, env: env(c) }));
      return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) }, spec: { template: { metadata: { labels: t?.metadata?.labels ?? {} }, spec: { containers } } } };
    });
}

export async function captureClaimsFixture(): Promise<ClaimsFixture> {
  const shipped = SCENARIO_NAMES.filter((n) => existsSync(path.join(repoRoot, 'overlays', n, 'kustomization.yaml')));
  const rendered = new Map<string, KubeObject[]>();
  const reports = await proveTargets(
    shipped.map((scenario) => ({ scenario, dir: path.join(repoRoot, 'overlays', scenario) })),
    { render: async (dir) => { const o = await renderKustomization(dir); rendered.set(dir, o); return o; } },
  );
  const scenarios = reports.map((r): ClaimsFixtureScenario => {
    if (!r.expectations || !r.result) throw new Error(`${r.target.scenario}: ${r.rows[0]?.generated ?? 'no result'}`);
    const objects = deploymentsOf(rendered.get(r.target.dir)!);
    const reads: Reads = new Map();
    const rows = checkClaims(r.expectations, recorded(r.result, reads), objects);
    const result = { ...(pruned(r.result, reads) as XdsResult), name: r.result.name, pods: r.result.pods, jwksFetches: r.result.jwksFetches, ignored: r.result.ignored };
    // The simulated calls stay whole: the test holds callsFor to them.
    result.calls = r.result.calls.map((c, i) => ({ ...(pruned(c, reads.get('calls')?.get(String(i)) ?? new Map()) as typeof c), call: c.call, routeIndex: c.routeIndex }));
    result.proxies = result.proxies.map((p, i) => { const full = r.result!.proxies[i]!; return { ...p, deployment: full.deployment, namespace: full.namespace, pod: full.pod, type: full.type, labels: full.labels, listeners: p.listeners ?? [], clusters: p.clusters ?? [], routes: p.routes ?? [], endpoints: p.endpoints ?? [] }; });
    if (!isDeepStrictEqual(checkClaims(r.expectations, result, objects), rows)) throw new Error(`${r.target.scenario}: the pruned result reads differently`);
    if (!isDeepStrictEqual(callsFor(r.expectations, objects), r.result.calls.map((c) => c.call))) throw new Error(`${r.target.scenario}: the Deployments kept give other calls`);
    return { scenario: r.target.scenario, expectations: r.expectations, objects, result };
  });
  return { about: 'real shopmesh-xds output for the shipped overlays, pruned to what claims.ts reads; regenerate with node --import tsx scripts/lib/xds/claims.fixture.ts', istio: version('charts.istio'), scenarios };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runMain(async () => {
    const spec = {
      name: 'claims.fixture',
      summary: 'capture scripts/lib/xds/claims.fixture.json from the real generator (needs .bin/shopmesh-xds)',
      usage: 'node --import tsx scripts/lib/xds/claims.fixture.ts [--dry-run]',
      options: { 'dry-run': { type: 'boolean', description: 'Capture and check, but do not write the file.' } },
    } as const;
    const parsed = parseCommand(spec);
    if (!parsed) return 0;
    const fixture = await captureClaimsFixture();
    // One scenario a line: a machine-made file, kept compact.
    const text = `{"about": ${JSON.stringify(fixture.about)}, "istio": ${JSON.stringify(fixture.istio)}, "scenarios": [\n${fixture.scenarios.map((x) => JSON.stringify(x)).join(',\n')}\n]}\n`;
    if (!parsed.options['dry-run']) writeFileSync(FIXTURE, text);
    process.stdout.write(`${parsed.options['dry-run'] ? 'would write' : 'wrote'} ${path.relative(process.cwd(), FIXTURE)}: ${fixture.scenarios.length} scenarios, ${text.length} bytes\n`);
    return 0;
  });
}

// The Envoy config istiod generates (Istio's own fake discovery server, .bin/shopmesh-xds from
// `npm run tools`) carries every shipped scenario's claims, and a broken variant of each fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from '../versions.ts';
import { SCENARIO_NAMES, type ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { formatReport, passed, proveTargets } from './index.ts';
import { rbacAllows } from './rbac.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtureDir = path.join(here, '..', '..', '..', 'test', 'fixtures', 'xds');
const run = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const shipped = SCENARIO_NAMES.filter((n) => existsSync(path.join(repoRoot, 'overlays', n, 'kustomization.yaml')));

// The shipped overlays and their broken variants go through one generator run (renders in parallel).
let all: Promise<{ reports: Awaited<ReturnType<typeof proveTargets>>; ms: number }> | undefined;
function proveAll() {
  const started = Date.now();
  all ??= proveTargets([
    ...shipped.map((scenario) => ({ scenario, dir: path.join(repoRoot, 'overlays', scenario) })),
    ...SCENARIO_NAMES.map((scenario) => ({ scenario, dir: path.join(fixtureDir, scenario) })),
  ]).then((reports) => ({ reports, ms: Date.now() - started }));
  return all;
}

test('every shipped scenario holds in the generated config (one generator run)', async (t) => {
  assert.equal(shipped.length, 14);
  const { reports, ms } = await proveAll();
  t.diagnostic(`14 shipped overlays and 14 broken variants rendered, derived, generated and checked in ${ms} ms`);
  for (const r of reports.filter((x) => x.target.dir.includes(`${path.sep}overlays${path.sep}`))) {
    assert.ok(r.rows.length > 0, `${r.target.scenario}: no claim was checked`);
    assert.ok(passed(r), formatReport(r, repoRoot));
  }
});

// Each variant is schema-valid and breaks its scenario in one way; the row that fails names the claim.
const BROKEN: Record<ScenarioName, RegExp> = {
  baseline: /api\/products\/101: every destination has pods/,
  canary: /every destination has pods/,
  ab: /x-user-group: beta: subset/,
  fault: /fault filter on the route the gateway uses/,
  timeout: /orders-v1 → products\.shop\/products\/101: route timeout/,
  retries: /orders-v1 → payments\.shop\/payments: retry attempts/,
  breaker: /v1: maxConnections/,
  mirror: /the mirror subset has pods/,
  mtls: /products-v1 inbound :8080/,
  jwt: /gateway jwt_authn provider/,
  authz: /notifications → payments/,
  tls: /gateway https:\/\/shop\.example\/api\/products\/101: routed/,
  ratelimit: /products-v1-\S+ inbound local_ratelimit bucket/,
  lb: /hash policy header/,
};

test('a semantically broken variant of each scenario fails, naming the claim', async () => {
  const { reports } = await proveAll();
  const broken = reports.filter((x) => x.target.dir.startsWith(path.join(fixtureDir)));
  assert.equal(broken.length, SCENARIO_NAMES.length);
  for (const r of broken) {
    const failing = r.rows.filter((x) => !x.pass).map((x) => x.claim);
    assert.ok(failing.some((c) => BROKEN[r.target.scenario].test(c)), `${r.target.scenario}: expected a failing claim like ${BROKEN[r.target.scenario]}, got:\n${formatReport(r, repoRoot)}`);
  }
});

test('npm run xds exits 1 on a broken overlay given with --overlay and prints the failing claim', async () => {
  const err = await run(tsx, ['scripts/xds.ts', 'canary', '--overlay', path.join(fixtureDir, 'canary')], { cwd: repoRoot }).then(() => undefined, (e: { code: number; stdout: string }) => e);
  assert.equal(err?.code, 1);
  assert.match(err!.stdout, /every destination has pods\s+≥ 1 pod per subset that receives traffic\s+v1: 1 pod\(s\), v2: 0 pod\(s\)\s+FAIL/);
  assert.match(err!.stdout, /0\/1 scenario\(s\) hold in the generated config; failing: canary/);
});

test('scenario --dry-run --json prints the expectations xds checks', async () => {
  const { stdout } = await run(tsx, ['scripts/scenario.ts', 'timeout', '--dry-run', '--json'], { cwd: repoRoot });
  const plan = JSON.parse(stdout) as { expectations: { scenario: string; timeoutShare: number; timeoutMs: number } };
  assert.deepEqual([plan.expectations.scenario, plan.expectations.timeoutMs, plan.expectations.timeoutShare], ['timeout', 500, 1]);
});

test('RBAC reading: jwt_authn payload principals and destination ports, as Istio emits them', () => {
  const noToken = {
    action: 'DENY',
    policies: {
      p: {
        permissions: [{ and_rules: { rules: [{ url_path: { path: { prefix: '/api/orders/' } } }, { or_rules: { rules: [{ destination_port: 80 }] } }] } }],
        principals: [{ not_id: { and_ids: { ids: ['iss', 'sub'].map((k) => ({ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'payload' }, { key: k }], value: { string_match: { safe_regex: { regex: '.+' } } } } })) } } }],
      },
    },
  };
  assert.equal(rbacAllows(noToken, { path: '/api/orders/1', method: 'GET', port: 80 }), true);
  assert.equal(rbacAllows(noToken, { path: '/api/orders/1', method: 'GET', port: 80, requestPrincipal: 'https://issuer.example/alice' }), false);
  assert.equal(rbacAllows(noToken, { path: '/api/orders/1', method: 'GET', port: 443 }), false);
  assert.equal(rbacAllows({ action: 'ALLOW' }, { path: '/', method: 'GET', port: 8080 }), false, 'an ALLOW without policies (allow-nothing) matches nothing');
});

// `npm run scenario:<name>`: render → check → guard → apply (pruning the last scenario's leftovers)
// → wait for rollouts and config propagation → derive expectations → k6 → verdict table → report.
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { FixableError } from '../cli.ts';
import type { Runner } from '../plan.ts';
import { repoRoot, version } from '../versions.ts';
import type { KubeObject } from '../kube/render.ts';
import { deleteObjects, serverSideApply } from '../kube/apply.ts';
import { SHOP_NAMESPACE, setImages } from '../kube/shop.ts';
import { waitForRollouts } from '../kube/wait.ts';
import type { SandboxKubeConfig } from '../kube/client.ts';
import type { Finding } from '../check/index.ts';
import { classify, type ResponseLike } from '../../../loadtests/lib/classify.ts';
import { claimsFor, loadPlan, planSeconds, type Claim } from '../../../loadtests/lib/claims.ts';
import { ORDER_PATH, PRODUCT_PATH } from '../../../loadtests/lib/endpoints.ts';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { formatVerdict, summaryFromLog, verdict, type K6Summary, type Observation, type VerdictRow } from '../../../loadtests/lib/verdict.ts';
import { k6Outcome, k6ProcessEnv, k6RunArgs, summaryPath } from '../k6/command.ts';
import { k6JobName, k6JobObjects, k6JobRoles } from '../k6/job.ts';
import { CATALOGUE } from './catalogue.ts';
import type { ClusterOps, Probe } from './cluster.ts';
import { deriveExpectations } from './expectations.ts';
import { FIELD_MANAGER, readRecord, refOf, refsToPrune, withRecord } from './record.ts';

export const GATEWAY_HTTP = 'http://127.0.0.1:8080';
export const GATEWAY_HTTPS_PORT = 8443;
export const SHOP_HOST = 'shop.localhost';
const ROLLOUT_TIMEOUT_MS = 5 * 60_000;

export interface ScenarioDeps {
  check(dir: string): Promise<{ objects: KubeObject[]; errors: Finding[]; warnings: Finding[] }>;
  formatFinding(f: Finding): string;
  /** The sandbox kubeconfig (asserts the guard); in dry-run, undefined when there is none. */
  kube(dryRun: boolean): SandboxKubeConfig | undefined;
  ensureK6(runner: Runner): Promise<string>;
  cluster: ClusterOps;
  now(): Date;
  root: string;
}

export interface ScenarioOptions {
  keep: boolean;
}

export interface ScenarioOutcome {
  code: number;
  rows: VerdictRow[];
  reportDir?: string;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
}

async function renderAndCheck(runner: Runner, deps: ScenarioDeps, name: string): Promise<KubeObject[]> {
  const dir = path.join(deps.root, 'overlays', name);
  return runner.step(`render and check overlays/${name}`, async () => {
    if (!existsSync(dir)) throw new FixableError(`overlays/${name} does not exist`, 'run `npm run scenario -- --list` to see the scenarios');
    const { objects, errors, warnings } = await deps.check(dir);
    for (const w of warnings) runner.note(`warning: ${deps.formatFinding(w)}`);
    if (errors.length) {
      throw new FixableError(`overlays/${name} has ${errors.length} error(s):\n${errors.map((e) => `  ${deps.formatFinding(e)}`).join('\n')}`, `fix the overlay, then check it with \`npm run check -- overlays/${name}\``);
    }
    runner.note(`${objects.length} objects rendered, checks clean`);
    return objects;
  });
}

/**
 * The overlays name plain `shopmesh/<service>` images; the cluster runs `<registry>/shopmesh/<service>:<tag>`
 * from `npm run up` (or Tilt). A scenario keeps whatever is deployed, so it never rebuilds or pulls anew.
 */
export function imagesByService(deployed: readonly string[], objects: readonly KubeObject[]): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const image of deployed) {
    // `npm run up` pushes <registry>/shopmesh/<svc>; Tilt's registry rewrite gives <registry>/shopmesh_<svc>.
    const m = /^[^/]+\/(?:.*\/)?shopmesh[/_]([a-z0-9-]+)(?::[\w.-]+|@sha256:[0-9a-f]{64})$/.exec(image);
    if (m) refs[m[1]!] ??= image;
  }
  const wanted = new Set(
    objects.flatMap((o) => JSON.stringify(o).match(/"image":"shopmesh\/[a-z0-9-]+(?::[\w.-]+)?"/g) ?? []).map((m) => /shopmesh\/([a-z0-9-]+)/.exec(m)![1]!),
  );
  const missing = [...wanted].filter((svc) => !refs[svc]).sort();
  if (missing.length) {
    throw new FixableError(`the cluster runs no built image for ${missing.join(', ')}`, 'run `npm run up` (it builds and deploys every service image), then run the scenario again');
  }
  return refs;
}

/** Applies an overlay with server-side apply and deletes what the previous scenario added and this one does not render. */
export async function applyScenario(runner: Runner, deps: ScenarioDeps, kube: SandboxKubeConfig | undefined, name: string, objects: KubeObject[]): Promise<void> {
  const kc = kube?.kc ?? new KubeConfig();
  const next = withRecord(kube ? setImages(objects, imagesByService(await deps.cluster.deployedImages(kube.kc, SHOP_NAMESPACE), objects)) : objects, name);
  if (!kube) runner.note('images: each shopmesh/<service> is replaced by the image the cluster runs now (built by `npm run up` or Tilt)');
  await runner.step(`apply ${name} (server-side apply, field manager ${FIELD_MANAGER})`, async () => {
    const previous = kube ? readRecord(await deps.cluster.readRecord(kube.kc)) : { refs: [] };
    runner.note(kube ? `previously applied: ${previous.name ?? '(no record)'}` : 'no cluster context: the previous record is not read, nothing to prune is known');
    await serverSideApply(runner, kc, next, { fieldManager: FIELD_MANAGER });
    const prune = refsToPrune(previous.refs, next);
    if (prune.length) await deleteObjects(runner, kc, prune);
  });
  const namespaces = [...new Set(next.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.namespace ?? 'shop'))];
  await runner.step('wait for rollouts', async () => {
    for (const ns of namespaces.length ? namespaces : ['shop']) {
      await waitForRollouts(runner, kc, ns, { timeoutMs: ROLLOUT_TIMEOUT_MS, onProgress: (m) => runner.note(m) });
    }
  });
}

interface Propagation {
  what: string;
  probe: Probe;
  ready(r: ResponseLike): boolean;
}

/** A request and a predicate that only holds once the sidecars have the scenario's config. */
export function propagationCheck(e: Expectations, ca?: string): Propagation {
  const via = (p: string, headers: Record<string, string> = {}): Probe => ({ url: `${GATEWAY_HTTP}${p}`, headers: { Host: SHOP_HOST, ...headers } });
  const c = (r: ResponseLike) => classify(r);
  switch (e.scenario) {
    case 'canary':
      return { what: `a ${e.version} answer on ${PRODUCT_PATH}`, probe: via(PRODUCT_PATH), ready: (r) => c(r).version === e.version };
    case 'ab':
      return { what: `${e.header}: ${e.value} reaching ${e.matchVersion}`, probe: via(PRODUCT_PATH, { [e.header]: e.value }), ready: (r) => c(r).version === e.matchVersion };
    case 'fault':
      return e.abort
        ? { what: `a "fault filter abort" ${e.abort.status}`, probe: via(PRODUCT_PATH), ready: (r) => c(r).faultAbort }
        : { what: 'a products answer', probe: via(PRODUCT_PATH), ready: (r) => c(r).ok };
    case 'timeout':
      return { what: `a 504 within the ${e.timeoutMs} ms route timeout`, probe: via(ORDER_PATH), ready: (r) => r.status === 504 };
    case 'retries':
      return { what: 'an orders answer', probe: via(ORDER_PATH), ready: (r) => c(r).ok };
    case 'mirror':
      return { what: `a ${e.routeVersion} answer`, probe: via(PRODUCT_PATH), ready: (r) => c(r).ok && c(r).version === e.routeVersion };
    case 'jwt':
      return { what: `403 on ${e.path} without a token`, probe: via(e.path), ready: (r) => r.status === 403 };
    case 'tls':
      return { what: `https://${e.host}:${GATEWAY_HTTPS_PORT}/ verified against the sandbox CA`, probe: { url: `https://127.0.0.1:${GATEWAY_HTTPS_PORT}/`, headers: { Host: e.host }, ...(ca ? { ca } : {}) }, ready: (r) => c(r).ok };
    case 'breaker':
    case 'ratelimit':
    case 'lb':
      return { what: 'a products answer', probe: via(PRODUCT_PATH), ready: (r) => c(r).ok };
    default:
      return { what: 'the storefront answering through the gateway', probe: via('/'), ready: (r) => c(r).ok };
  }
}

async function waitForPropagation(runner: Runner, deps: ScenarioDeps, e: Expectations, ca?: string): Promise<void> {
  const check = propagationCheck(e, ca);
  const attempts = 120;
  await runner.step('wait for the mesh config to reach the sidecars', async () => {
    await runner.api(`poll ${check.probe.url} (Host ${check.probe.headers?.Host ?? '-'}) until ${check.what} (up to ${attempts} probes, 0.5 s apart)`, async () => {
      for (let i = 0; i < attempts; i++) {
        if (check.ready(await deps.cluster.probe(check.probe))) return;
        await sleep(500);
      }
      throw new FixableError(`the gateway never showed ${check.what}`, 'is the gateway reachable on 127.0.0.1:8080? `npm run status`; then `istioctl proxy-status`');
    });
  });
}

export function printExpectations(runner: Runner, e: Expectations): void {
  runner.note('derived expectations (from the rendered overlay):');
  for (const line of JSON.stringify(e, null, 2).split('\n')) runner.note(`  ${line}`);
  const phases = loadPlan(e);
  runner.note('load: ' + phases.map((p) => `${p.name} ${p.rate}/s × ${p.durationS}s${p.startS ? ` from ${p.startS}s` : ''}`).join(', '));
  runner.note('claims:');
  for (const c of claimsFor(e, phases)) runner.note(`  ${c.id}: ${formatClaim(c)}`);
}

/** A claim as the plan and the overlay READMEs state it. */
export function formatClaim(c: Claim): string {
  return `${c.title}${c.kind === 'share' ? ` (p=${Number(c.p.toFixed(6))}, n ≥ ${c.minSamples})` : ` (${c.kind} ${c.kind === 'trend-at-most' ? c.stat + ' ' : ''}${c.limit})`}`;
}

async function runOnHost(runner: Runner, deps: ScenarioDeps, kube: SandboxKubeConfig | undefined, e: Expectations, reportDir: string): Promise<{ summaries: K6Summary[]; external: Record<string, Observation>; k6Failed: boolean }> {
  const k6 = await deps.ensureK6(runner);
  const env: Record<string, string> = { BASE_URL: GATEWAY_HTTP, HOST_HEADER: SHOP_HOST };
  let caFile: string | undefined;
  if (e.scenario === 'tls') {
    caFile = path.join(reportDir, 'sandbox-ca.crt');
    await runner.step(`read the sandbox CA from ${e.gatewayNamespace}/${e.secretName}`, async () => {
      const ca = kube ? await deps.cluster.secretValue(kube.kc, e.gatewayNamespace, e.secretName, 'ca.crt') : undefined;
      if (!runner.dryRun) {
        if (!ca) throw new FixableError(`secret ${e.gatewayNamespace}/${e.secretName} has no ca.crt`, `kubectl -n ${e.gatewayNamespace} get certificate; cert-manager writes ca.crt once the certificate is Ready`);
        writeFileSync(caFile!, ca);
      }
      runner.note(`SSL_CERT_FILE=${caFile}`);
    });
    Object.assign(env, { BASE_URL: `https://${e.host}:${GATEWAY_HTTPS_PORT}`, RESOLVE: `${e.host}=127.0.0.1`, HTTP_URL: GATEWAY_HTTP });
  }
  let mirrorPods: string[] = [];
  if (e.scenario === 'mirror') {
    await runner.step(`reset the request counter of ${e.service} ${e.mirrorVersion}`, async () => {
      mirrorPods = kube ? await deps.cluster.podsOf(kube.kc, 'shop', `app=${e.service},version=${e.mirrorVersion}`) : [];
      if (kube && !runner.dryRun && mirrorPods.length === 0) throw new FixableError(`no running ${e.service} ${e.mirrorVersion} pod to count the mirrored copies`, `kubectl -n shop get pods -l app=${e.service}`);
      for (const pod of mirrorPods.length ? mirrorPods : [`<each app=${e.service},version=${e.mirrorVersion} pod>`]) {
        await runner.api(`DELETE shop/${pod}:9090/admin/stats (API server pod proxy)`, () => deps.cluster.resetAdminStats(kube!.kc, 'shop', pod));
      }
    });
  }
  const script = path.join(deps.root, 'loadtests', `${e.scenario}.ts`);
  const args = k6RunArgs({ script, expectations: e, reportDir, env });
  const result = await runner.step(`k6: ${e.scenario} through the gateway (about ${planSeconds(loadPlan(e))}s)`, () =>
    runner.exec(k6, args, { env: k6ProcessEnv(reportDir, caFile), allowFailure: true, timeoutMs: (planSeconds(loadPlan(e)) + 120) * 1000 }),
  );
  if (k6Outcome(result.code) === 'broken') throw new Error(`k6 did not complete (exit ${result.code}):\n${(result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n')}`);
  const summaries: K6Summary[] = runner.dryRun ? [] : [JSON.parse(readFileSync(summaryPath(reportDir), 'utf8')) as K6Summary];
  const external: Record<string, Observation> = {};
  if (e.scenario === 'mirror') {
    await runner.step(`read the request counter of ${e.service} ${e.mirrorVersion}`, async () => {
      if (runner.dryRun || !kube) {
        runner.note(`GET <each pod>:9090/admin/stats (API server pod proxy), summed, against k6's mirror_sent count`);
        return;
      }
      let received = 0;
      for (const pod of mirrorPods) received += await deps.cluster.adminStats(kube.kc, 'shop', pod);
      const sent = (summaries[0]?.metrics?.mirror_sent?.values?.count as number | undefined) ?? 0;
      external.mirror_received = { successes: Math.min(received, sent), n: sent };
      runner.note(`${e.mirrorVersion} counted ${received} requests for ${sent} sent`);
    });
  }
  return { summaries, external, k6Failed: result.code !== 0 };
}

async function runInCluster(runner: Runner, deps: ScenarioDeps, kube: SandboxKubeConfig | undefined, e: Expectations, reportDir: string, runId: string): Promise<{ summaries: K6Summary[]; k6Failed: boolean }> {
  const kc = kube?.kc ?? new KubeConfig();
  const image = version('images.k6');
  const summaries: K6Summary[] = [];
  let k6Failed = false;
  const jobs = k6JobRoles(e).map((r) => ({ ...r, objects: k6JobObjects({ scenario: e.scenario, ...r, image, expectations: e, loadtestsDir: path.join(deps.root, 'loadtests'), runId }) }));
  await runner.step(`k6 in-cluster: ${jobs.length} Job(s) (${image})`, async () => {
    for (const job of jobs) {
      if (runner.dryRun) {
        runner.note(`Job manifest for role ${job.role} (${job.namespace}, ServiceAccount ${job.serviceAccount}):`);
        const jobObject = job.objects.find((o) => o.kind === 'Job')!;
        for (const line of YAML.stringify(jobObject).trimEnd().split('\n')) runner.note(`  ${line.length > 160 ? `${line.slice(0, 157)}...` : line}`);
      }
      await serverSideApply(runner, kc, job.objects, { fieldManager: FIELD_MANAGER });
    }
    for (const job of jobs) {
      const name = k6JobName({ scenario: e.scenario, role: job.role, runId });
      await runner.api(`wait for Job ${job.namespace}/${name}, then read its k6 summary from the pod log`, async () => {
        const state = await deps.cluster.waitForJob(kc, job.namespace, name, (planSeconds(loadPlan(e)) + 180) * 1000);
        const log = await deps.cluster.jobLog(kc, job.namespace, name);
        writeFileSync(path.join(reportDir, `k6-${job.role}.log`), log);
        const summary = summaryFromLog(log);
        if (!summary) throw new Error(`k6 Job ${job.namespace}/${name} ${state} without printing its summary; see ${path.join(reportDir, `k6-${job.role}.log`)}`);
        writeFileSync(summaryPath(reportDir, job.role), JSON.stringify(summary));
        summaries.push(summary);
        if (state === 'failed') k6Failed = true;
      });
      await deleteObjects(runner, kc, job.objects.map(refOf));
    }
  });
  return { summaries, k6Failed };
}

/** Applies a scenario, proves it under load, prints the verdict, and (unless --keep) returns to baseline. */
export async function runScenario(runner: Runner, deps: ScenarioDeps, name: ScenarioName, opts: ScenarioOptions): Promise<ScenarioOutcome> {
  const objects = await renderAndCheck(runner, deps, name);
  const expectations = deriveExpectations(name, objects);
  printExpectations(runner, expectations);
  const kube = await runner.step('guard: the sandbox kube context', async () => {
    const k = deps.kube(runner.dryRun);
    runner.note(k ? `context ${k.context} (${k.provider})` : 'no sandbox context found: dry-run plan only');
    return k;
  });
  await applyScenario(runner, deps, kube, name, objects);
  const runId = stamp(deps.now());
  const reportDir = path.join(deps.root, 'reports', `${runId}-${name}`);
  if (!runner.dryRun) mkdirSync(reportDir, { recursive: true });
  runner.note(`reports: ${reportDir}`);
  let rows: VerdictRow[] = [];
  let k6Failed = false;
  try {
    const mode = CATALOGUE[name].mode;
    if (mode !== 'in-cluster') {
      let ca: string | undefined;
      if (expectations.scenario === 'tls' && kube && !runner.dryRun) ca = await deps.cluster.secretValue(kube.kc, expectations.gatewayNamespace, expectations.secretName, 'ca.crt');
      await waitForPropagation(runner, deps, expectations, ca);
      const out = await runOnHost(runner, deps, kube, expectations, reportDir);
      k6Failed = out.k6Failed;
      if (!runner.dryRun) rows = verdict(claimsFor(expectations), out.summaries, out.external);
    } else {
      await waitForPropagation(runner, deps, expectations);
      const out = await runInCluster(runner, deps, kube, expectations, reportDir, runId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(-10));
      k6Failed = out.k6Failed;
      if (!runner.dryRun) rows = verdict(claimsFor(expectations), out.summaries);
    }
  } finally {
    if (!opts.keep && name !== 'baseline') {
      await runner.step('back to baseline (use --keep to stay on this scenario)', async () => {
        const baseline = await renderAndCheck(runner, deps, 'baseline');
        await applyScenario(runner, deps, kube, 'baseline', baseline);
      });
    }
  }
  if (runner.dryRun) return { code: 0, rows, reportDir };
  const table = formatVerdict(rows);
  runner.note(`\n${table}\n`);
  const failed = rows.some((r) => !r.pass) || k6Failed;
  writeFileSync(path.join(reportDir, 'verdict.json'), JSON.stringify({ scenario: name, expectations, rows, k6ThresholdsFailed: k6Failed, pass: !failed }, null, 2));
  runner.note(failed ? `✗ ${name}: claims failed${k6Failed ? ' (k6 exit 99: thresholds crossed)' : ''}` : `✓ ${name}: every claim holds`);
  return { code: failed ? 1 : 0, rows, reportDir };
}

/** `npm run scenario:reset`: baseline, pruning whatever the last scenario added. */
export async function resetScenario(runner: Runner, deps: ScenarioDeps): Promise<number> {
  const objects = await renderAndCheck(runner, deps, 'baseline');
  const kube = await runner.step('guard: the sandbox kube context', async () => {
    const k = deps.kube(runner.dryRun);
    runner.note(k ? `context ${k.context} (${k.provider})` : 'no sandbox context found: dry-run plan only');
    return k;
  });
  await applyScenario(runner, deps, kube, 'baseline', objects);
  return 0;
}

export const defaultRoot = repoRoot;

// `npm run scenario:<name>`: render → check → guard → apply (pruning the last scenario's leftovers)
// → wait for rollouts and config propagation → derive expectations → k6 → verdict table → report.
import { PORT_VARIABLES, portsFromConfigMap, sandboxPorts } from '../providers/ports.ts';
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
import { classify } from '../../../loadtests/lib/classify.ts';
import { READINESS_BOUND_S, breakerWindow, claimsFor, loadPlan, planSeconds, type Claim } from '../../../loadtests/lib/claims.ts';
import { PRODUCT_PATH } from '../../../loadtests/lib/endpoints.ts';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { planRefusals, powerCheck } from '../../../loadtests/lib/power.ts';
import { formatVerdict, mirrorObservation, summaryFromLog, verdict, type K6Summary, type Observation, type VerdictRow } from '../../../loadtests/lib/verdict.ts';
import { k6Outcome, k6ProcessEnv, k6RunArgs, summaryPath } from '../k6/command.ts';
import { k6JobName, k6JobObjects, k6JobRoles } from '../k6/job.ts';
import { CATALOGUE } from './catalogue.ts';
import type { ClusterOps, Probe } from './cluster.ts';
import { deriveExpectations } from './expectations.ts';
import { gatewayHttp, gatewayHttpsPort, SHOP_HOST, lbUser, readinessPlan, waitUntilReady, type ReadinessIO } from './readiness.ts';
import { FIELD_MANAGER, ownedByUp, readRecord, refOf, refsToPrune, withRecord } from './record.ts';

export { gatewayHttp, gatewayHttpsPort, SHOP_HOST };
const ROLLOUT_TIMEOUT_MS = 5 * 60_000;
const CERTIFICATE_TIMEOUT_S = 120;

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
    let prune = refsToPrune(previous.refs, next);
    if (kube && prune.length) {
      // An older record may list what up owns (the sandbox CA issuers): the live label keeps it.
      const kept: typeof prune = [];
      for (const ref of prune) if (ownedByUp(await deps.cluster.labelsOf(kube.kc, ref))) kept.push(ref);
      for (const ref of kept) runner.note(`kept ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}: npm run up owns it (managed-by shopmesh-up)`);
      prune = prune.filter((r) => !kept.includes(r));
    }
    if (prune.length) await deleteObjects(runner, kc, prune);
  });
  const namespaces = [...new Set(next.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.namespace ?? 'shop'))];
  await runner.step('wait for rollouts', async () => {
    for (const ns of namespaces.length ? namespaces : ['shop']) {
      await waitForRollouts(runner, kc, ns, { timeoutMs: ROLLOUT_TIMEOUT_MS, onProgress: (m) => runner.note(m) });
    }
  });
}

/** The IO the readiness probe needs, from the cluster ops (the pod and counter calls need a cluster). */
function readinessIO(deps: ScenarioDeps, kube: SandboxKubeConfig | undefined): ReadinessIO {
  const need = (): SandboxKubeConfig => {
    if (!kube) throw new Error('this readiness probe reads the cluster; no sandbox context');
    return kube;
  };
  return {
    send: (p) => deps.cluster.probe(p),
    podGet: (ns, selector, port, p) => deps.cluster.podGet(need().kc, ns, selector, port, p),
    counter: async (ns, selector) => {
      let sum = 0;
      for (const pod of await deps.cluster.podsOf(need().kc, ns, selector)) sum += await deps.cluster.adminStats(need().kc, ns, pod);
      return sum;
    },
  };
}

/** Before the measured load: a bounded probe that only the scenario's config can satisfy. */
async function waitForReadiness(runner: Runner, deps: ScenarioDeps, kube: SandboxKubeConfig | undefined, e: Expectations, ca?: string): Promise<void> {
  const plan = readinessPlan(e, ca ? { ca } : {});
  const first = plan.calls[0]!;
  const target = first.via === 'gateway' ? `${first.probe.url} (Host ${first.probe.headers?.Host ?? '-'})` : `${first.namespace}/<${first.selector}>:${first.port}${first.path} (API server pod proxy, plaintext)`;
  await runner.step('readiness: prove the new config is live before the load', async () => {
    await runner.api(
      `readiness probe ${target}: rounds of ${plan.calls.length}${plan.concurrent ? ' concurrent' : ''} call(s)${plan.counter ? `, counting ${plan.counter.selector}'s requests` : ''}, until ${plan.what} (at most ${READINESS_BOUND_S} s)`,
      async () => {
        const { rounds } = await waitUntilReady(plan, readinessIO(deps, kube));
        runner.note(`seen after ${rounds} round(s): ${plan.what}`);
      },
    );
  });
}

export function printExpectations(runner: Runner, e: Expectations): void {
  runner.note('derived expectations (from the rendered overlay):');
  for (const line of JSON.stringify(e, null, 2).split('\n')) runner.note(`  ${line}`);
  const phases = loadPlan(e);
  runner.note('load: ' + phases.map((p) => `${p.name} ${p.rate}/s × ${p.durationS}s${p.startS ? ` from ${p.startS}s` : ''}${p.driver === 'runner' ? ' (sent by the runner)' : ''}`).join(', '));
  runner.note('claims:');
  const claims = claimsFor(e, phases);
  for (const c of claims) runner.note(`  ${c.id}: ${formatClaim(c)}`);
  runner.note('power (each share claim against what a broken mesh would show):');
  for (const r of powerCheck(claims, phases)) {
    const band = `${(r.band.lo * 100).toFixed(2)}%–${(r.band.hi * 100).toFixed(2)}%`;
    const against = r.alternatives.map((a) => `${(a.share * 100).toFixed(2)}% passes with p ≤ ${Number(a.passProbability.toPrecision(2))}`).join(', ') || 'exact';
    runner.note(`  ${r.id}: p=${Number(r.p.toFixed(6))}, n=${r.n}, band ${band}${r.rate !== undefined ? `, ${r.rate}/s × ${r.durationS}s` : ''}; ${against}${r.ok ? '' : ' — NO POWER'}`);
  }
  if (e.scenario === 'breaker') {
    const w = breakerWindow(e, phases);
    runner.note(`breaker window: counted ${w.fromS}–${w.toS} s; the ejected pod returns ≥ ${w.returnS} s; margin ${w.marginS} s`);
  }
}

/** Refuses a plan without power (or an honest window) before anything is applied or loaded. */
export function refuseWithoutPower(e: Expectations): void {
  const refusals = planRefusals(e);
  if (refusals.length === 0) return;
  throw new FixableError(
    `overlays/${e.scenario}: the plan cannot tell a correct mesh from a broken one:\n${refusals.map((r) => `  ${r}`).join('\n')}`,
    'make the effect larger in the overlay (a bigger share, a longer ejection), or raise the rate in loadtests/lib/claims.ts within the laptop budget',
  );
}

/** A claim as the plan and the overlay READMEs state it. */
export function formatClaim(c: Claim): string {
  return `${c.title}${c.kind === 'share' ? ` (p=${Number(c.p.toFixed(6))}, n ≥ ${c.minSamples})` : ` (${c.kind} ${c.kind === 'trend-at-most' ? c.stat + ' ' : ''}${c.limit})`}`;
}

/** tls: wait (bounded) for the Certificate to be Ready, then read the CA that signed it. */
async function sandboxCa(runner: Runner, deps: ScenarioDeps, kube: SandboxKubeConfig | undefined, e: Extract<Expectations, { scenario: 'tls' }>, reportDir: string): Promise<string | undefined> {
  const cert = e.certificate;
  if (cert) {
    await runner.step(`wait for Certificate ${e.gatewayNamespace}/${cert} to be Ready (at most ${CERTIFICATE_TIMEOUT_S} s)`, async () => {
      await runner.api(`poll cert-manager.io/v1 Certificate ${e.gatewayNamespace}/${cert} until Ready=True`, async () => {
        let last = '';
        for (let i = 0; i < CERTIFICATE_TIMEOUT_S / 2; i++) {
          const state = await deps.cluster.certificateReady(kube!.kc, e.gatewayNamespace, cert);
          if (state.ready) return;
          last = state.message;
          await sleep(2000);
        }
        throw new FixableError(`Certificate ${e.gatewayNamespace}/${cert} is not Ready after ${CERTIFICATE_TIMEOUT_S} s: ${last}`, `kubectl -n ${e.gatewayNamespace} describe certificate ${cert}; is up's ClusterIssuer shopmesh-ca Ready? kubectl get clusterissuer`);
      });
    });
  }
  return runner.step(`read the sandbox CA from ${e.gatewayNamespace}/${e.secretName}`, async () => {
    const ca = kube && !runner.dryRun ? await deps.cluster.secretValue(kube.kc, e.gatewayNamespace, e.secretName, 'ca.crt') : undefined;
    if (runner.dryRun) return undefined;
    if (!ca) throw new FixableError(`secret ${e.gatewayNamespace}/${e.secretName} has no ca.crt`, `kubectl -n ${e.gatewayNamespace} get certificate; cert-manager writes ca.crt once the certificate is Ready`);
    writeFileSync(path.join(reportDir, 'sandbox-ca.crt'), ca);
    return ca;
  });
}

/**
 * The phases the runner sends itself (tls https): paced GETs, each verified by Node against the
 * sandbox CA only (`ca` replaces the default roots), on every OS; k6's Go on macOS ignores SSL_CERT_FILE.
 */
async function runnerPhases(runner: Runner, deps: ScenarioDeps, e: Expectations, ca: string | undefined): Promise<{ external: Record<string, Observation>; noise: number }> {
  const external: Record<string, Observation> = {};
  let noise = 0;
  if (e.scenario !== 'tls') return { external, noise };
  const phase = loadPlan(e).find((p) => p.driver === 'runner')!;
  const total = phase.rate * phase.durationS;
  const probe: Probe = { url: `https://127.0.0.1:${gatewayHttpsPort()}/`, headers: { Host: e.host }, servername: e.host, ...(ca ? { ca } : {}) };
  await runner.step(`runner: ${total} HTTPS requests at ${phase.rate}/s, each verified against the sandbox CA only`, async () => {
    await runner.api(`GET https://${e.host}:${gatewayHttpsPort()}/ (SNI ${e.host}, CA sandbox-ca.crt) × ${total}`, async () => {
      let ok = 0;
      let n = 0;
      const start = Date.now();
      for (let i = 0; i < total; i++) {
        const wait = start + (i * 1000) / phase.rate - Date.now();
        if (wait > 0) await sleep(wait);
        const c = classify(await deps.cluster.probe(probe));
        if (c.infraNoise) {
          noise++;
          continue;
        }
        n++;
        if (c.ok) ok++;
      }
      external.tls_https_ok = { successes: ok, n };
    });
  });
  return { external, noise };
}

/** lb: the runner asks once per user which pod answers, for the spread claims. */
async function lbSpread(runner: Runner, deps: ScenarioDeps, e: Extract<Expectations, { scenario: 'lb' }>): Promise<Record<string, Observation>> {
  const external: Record<string, Observation> = {};
  await runner.step(`lb spread: one ${PRODUCT_PATH} per user id through the gateway, reading x-pod`, async () => {
    await runner.api(`GET ${gatewayHttp()}${PRODUCT_PATH} (${e.hashHeader}: ${lbUser(0)}…${lbUser(e.users - 1)})`, async () => {
      const byPod = new Map<string, number>();
      let answered = 0;
      for (let i = 0; i < e.users; i++) {
        const c = classify(await deps.cluster.probe({ url: `${gatewayHttp()}${PRODUCT_PATH}`, headers: { Host: SHOP_HOST, [e.hashHeader]: lbUser(i) } }));
        if (!c.ok || !c.pod) continue;
        answered++;
        byPod.set(c.pod, (byPod.get(c.pod) ?? 0) + 1);
      }
      external.lb_spread = { count: byPod.size };
      external.lb_busiest_pod = { successes: Math.max(0, ...byPod.values()), n: answered };
      runner.note(`users per pod: ${[...byPod].map(([pod, n]) => `${pod} ${n}`).join(', ') || 'none answered'}`);
    });
  });
  return external;
}

async function runOnHost(runner: Runner, deps: ScenarioDeps, kube: SandboxKubeConfig | undefined, e: Expectations, reportDir: string, ca?: string): Promise<{ summaries: K6Summary[]; external: Record<string, Observation>; k6Failed: boolean }> {
  const k6 = await deps.ensureK6(runner);
  const env: Record<string, string> = { BASE_URL: gatewayHttp(), HOST_HEADER: SHOP_HOST };
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
  // The runner's own phase (tls https) runs beside k6's, as one plan.
  const [result, own] = await Promise.all([
    runner.step(`k6: ${e.scenario} through the gateway (about ${planSeconds(loadPlan(e))}s)`, () =>
      runner.exec(k6, args, { env: k6ProcessEnv(reportDir), allowFailure: true, timeoutMs: (planSeconds(loadPlan(e)) + 120) * 1000 }),
    ),
    runnerPhases(runner, deps, e, ca),
  ]);
  if (k6Outcome(result.code) === 'broken') throw new Error(`k6 did not complete (exit ${result.code}):\n${(result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n')}`);
  const summaries: K6Summary[] = runner.dryRun ? [] : [JSON.parse(readFileSync(summaryPath(reportDir), 'utf8')) as K6Summary];
  const external: Record<string, Observation> = { ...own.external };
  if (own.noise > 0 || Object.keys(own.external).length) {
    const k6Noise = (summaries[0]?.metrics?.infra_noise?.values?.count as number | undefined) ?? 0;
    external.infra_noise = { count: k6Noise + own.noise };
  }
  if (e.scenario === 'lb' && !runner.dryRun) Object.assign(external, await lbSpread(runner, deps, e));
  else if (e.scenario === 'lb') runner.note(`then: one GET per user id (${e.users}) through the gateway, counting users per x-pod, for the spread claims`);
  if (e.scenario === 'mirror') {
    await runner.step(`read the request counter of ${e.service} ${e.mirrorVersion}`, async () => {
      if (runner.dryRun || !kube) {
        runner.note(`GET <each pod>:9090/admin/stats (API server pod proxy), summed, against k6's mirror_sent count`);
        return;
      }
      let received = 0;
      for (const pod of mirrorPods) received += await deps.cluster.adminStats(kube.kc, 'shop', pod);
      const count = (m: string) => (summaries[0]?.metrics?.[m]?.values?.count as number | undefined) ?? 0;
      const served = count('mirror_sent');
      const sent = count('mirror_primaries');
      external.mirror_received = mirrorObservation(received, served, sent);
      runner.note(`${e.mirrorVersion} counted ${received} requests for ${served} served primaries (${sent} sent)`);
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
  refuseWithoutPower(expectations);
  const kube = await runner.step('guard: the sandbox kube context', async () => {
    const k = deps.kube(runner.dryRun);
    runner.note(k ? `context ${k.context} (${k.provider})` : 'no sandbox context found: dry-run plan only');
    if (k) await adoptRecordedPorts(runner, deps, k.kc);
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
      const ca = expectations.scenario === 'tls' ? await sandboxCa(runner, deps, kube, expectations, reportDir) : undefined;
      await waitForReadiness(runner, deps, kube, expectations, ca);
      const out = await runOnHost(runner, deps, kube, expectations, reportDir, ca);
      k6Failed = out.k6Failed;
      if (!runner.dryRun) rows = verdict(claimsFor(expectations), out.summaries, out.external);
    } else {
      await waitForReadiness(runner, deps, kube, expectations);
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

/**
 * The gateway ports `up` recorded (it may have moved them, and microk8s uses NodePorts), unless this
 * run was given its own through the environment.
 */
export async function adoptRecordedPorts(runner: Runner, deps: ScenarioDeps, kc: KubeConfig): Promise<void> {
  const data = await deps.cluster.recordedPorts(kc).catch(() => undefined);
  if (!data) return;
  const recorded = portsFromConfigMap(data, sandboxPorts());
  for (const [key, variable] of [['http', PORT_VARIABLES.http], ['https', PORT_VARIABLES.https]] as const) {
    if (!process.env[variable]) process.env[variable] = String(recorded[key]);
  }
  runner.note(`the gateway answers on 127.0.0.1:${sandboxPorts().http} (HTTP) and :${sandboxPorts().https} (HTTPS), as up recorded`);
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

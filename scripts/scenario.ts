// npm run scenario:<name> | scenario -- --list | scenario:reset: apply a scenario and prove it under load.
import './lib/node-version.ts';
import { parseCommand, runMain, UsageError } from './lib/cli.ts';
import { Runner } from './lib/plan.ts';
import { checkKustomization, formatFinding } from './lib/check/index.ts';
import { loadSandboxKubeConfig, tryLoadSandboxKubeConfig } from './lib/kube/client.ts';
import { ensureTool, preferProjectBin } from './lib/tools/index.ts';
import path from 'node:path';
import { renderKustomization } from './lib/kube/render.ts';
import { CATALOGUE, isScenario, listText } from './lib/scenario/catalogue.ts';
import { scenarioPlanJson } from './lib/scenario/plan-json.ts';
import { clusterOps } from './lib/scenario/cluster.ts';
import { defaultRoot, resetScenario, runScenario, type ScenarioDeps } from './lib/scenario/run.ts';

const spec = {
  name: 'scenario',
  summary: 'apply a mesh scenario, prove it with k6 thresholds derived from its overlay, then return to baseline',
  usage: 'npm run scenario:<name> [-- --dry-run [--json]] [-- --keep] | npm run scenario -- --list | npm run scenario:reset',
  allowPositionals: true,
  options: {
    list: { type: 'boolean', description: 'List the scenarios.' },
    'dry-run': { type: 'boolean', description: 'Print the plan and the derived expectations; touch no cluster (no kubeconfig needed).' },
    keep: { type: 'boolean', description: 'Stay on the scenario after the run instead of returning to baseline.' },
    json: { type: 'boolean', description: 'With --dry-run: print only the derived expectations, load plan, claims and their power (p, band, n, rate) as JSON (no checks, no cluster); exit 1 when the runner would refuse the plan.' },
  },
  details: `Scenarios:\n${listText()}\n\nThe verdict table lists each claim, its expected band, what was observed, and PASS/FAIL; the exit code is non-zero when any claim fails. Reports go to reports/<timestamp>-<scenario>/.`,
} as const;

export function realDeps(): ScenarioDeps {
  return {
    check: checkKustomization,
    formatFinding,
    kube: (dryRun) => (dryRun ? tryLoadSandboxKubeConfigQuietly() : loadSandboxKubeConfig()),
    ensureK6: (runner) => ensureTool(runner, 'k6'),
    cluster: clusterOps,
    now: () => new Date(),
    root: defaultRoot,
  };
}

function tryLoadSandboxKubeConfigQuietly() {
  try {
    return tryLoadSandboxKubeConfig();
  } catch {
    return undefined;
  }
}

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options, positionals } = parsed;
  if (options.list) {
    process.stdout.write(`${listText()}\n`);
    return 0;
  }
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError(`name one scenario (or "reset"); known: ${Object.keys(CATALOGUE).join(', ')}`);
  preferProjectBin();
  if (options.json) {
    if (!options['dry-run']) throw new UsageError('--json prints the dry-run plan: use it with --dry-run');
    if (!isScenario(name)) throw new UsageError(`unknown scenario "${name}"; run \`npm run scenario -- --list\``);
    const deps = realDeps();
    const dir = path.join(deps.root, 'overlays', name);
    const plan = scenarioPlanJson(name, dir, await renderKustomization(dir), deps.root);
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    // A plan the runner would refuse (no power) is printed, and the exit code says so.
    return plan.refusals.length ? 1 : 0;
  }
  const runner = new Runner({ dryRun: options['dry-run'] });
  const deps = realDeps();
  if (name === 'reset') return resetScenario(runner, deps);
  if (!isScenario(name)) throw new UsageError(`unknown scenario "${name}"; run \`npm run scenario -- --list\``);
  const outcome = await runScenario(runner, deps, name, { keep: options.keep });
  return outcome.code;
});

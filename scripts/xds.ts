// npm run xds -- <scenario> [--overlay <dir>] | --all: prove a scenario's claims in the Envoy config
// istiod generates for its overlay (no cluster, no Envoy).
import './lib/node-version.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FixableError, parseCommand, runMain, UsageError } from './lib/cli.ts';
import { preferProjectBin } from './lib/tools/index.ts';
import { isScenario } from './lib/scenario/catalogue.ts';
import { repoRoot } from './lib/versions.ts';
import { SCENARIO_NAMES } from '../loadtests/lib/expectations.ts';
import { formatReport, passed, proveTargets, type XdsTarget } from './lib/xds/index.ts';

const spec = {
  name: 'xds',
  summary: "prove a scenario's claims in the Envoy config istiod generates for its overlay (no cluster needed)",
  usage: 'npm run xds -- <scenario> [--overlay <dir>] | npm run xds -- --all',
  allowPositionals: true,
  options: {
    overlay: { type: 'string', description: 'Check this overlay folder (your own) against the named scenario\'s claims; default overlays/<scenario>.' },
    all: { type: 'boolean', description: 'Check every shipped scenario (one generator run).' },
    json: { type: 'boolean', description: 'Print the claim rows as JSON instead of tables.' },
  },
  details: `Renders the overlay with the real kustomize, derives the expectations exactly as \`npm run scenario\` does, and loads the objects,
the ingress gateway chart and istiod's settings from \`npm run up\` into Istio's own fake discovery server
(.bin/shopmesh-xds, built by \`npm run tools\`). It prints one table per scenario: each claim, what the overlay
promises, what the generated listeners, routes, clusters and endpoints say, and PASS/FAIL.
Exit code: 0 when every claim holds, 1 when any fails.`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options, positionals } = parsed;
  let targets: XdsTarget[];
  if (options.all) {
    if (positionals.length || options.overlay) throw new UsageError('--all checks every shipped overlay; name no scenario and no --overlay with it');
    targets = SCENARIO_NAMES.filter((n) => existsSync(path.join(repoRoot, 'overlays', n, 'kustomization.yaml'))).map((scenario) => ({ scenario, dir: path.join(repoRoot, 'overlays', scenario) }));
  } else {
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new UsageError(`name one scenario (or --all); known: ${SCENARIO_NAMES.join(', ')}`);
    if (!isScenario(name)) throw new UsageError(`unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(', ')}`);
    const dir = path.resolve(options.overlay ?? path.join(repoRoot, 'overlays', name));
    if (!existsSync(path.join(dir, 'kustomization.yaml'))) throw new FixableError(`${dir} has no kustomization.yaml`, 'point --overlay at a Kustomize overlay folder');
    targets = [{ scenario: name, dir }];
  }
  preferProjectBin();
  const started = Date.now();
  const reports = await proveTargets(targets);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(reports.map((r) => ({ scenario: r.target.scenario, overlay: r.target.dir, pass: passed(r), rows: r.rows })), null, 2)}\n`);
  } else {
    for (const r of reports) process.stdout.write(`${formatReport(r, process.cwd())}\n\n`);
    const failed = reports.filter((r) => !passed(r));
    process.stdout.write(`${reports.length - failed.length}/${reports.length} scenario(s) hold in the generated config${failed.length ? `; failing: ${failed.map((r) => r.target.scenario).join(', ')}` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  return reports.every(passed) ? 0 : 1;
});

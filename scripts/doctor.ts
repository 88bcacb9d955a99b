// npm run doctor: the preflight that `up` runs, printed with the exact fix for each problem.
import './lib/node-version.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, runMain, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { Runner, type Output } from './lib/plan.ts';
import { PROVIDERS } from './lib/kube/context.ts';
import { failures, formatChecks, runPreflight, type PreflightDeps } from './lib/preflight/index.ts';
import { resolveProvider } from './lib/providers/index.ts';
import { preferProjectBin } from './lib/tools/index.ts';

export const doctorSpec = {
  name: 'doctor',
  summary: 'check Docker, free ports, memory, inotify limits and tool versions; print the fix for each problem',
  usage: 'npm run doctor -- [--provider k3d|kind|microk8s]',
  options: {
    provider: { type: 'string', choices: PROVIDERS, description: 'which sandbox to check for (default: the current sandbox context, else k3d)' },
    'dry-run': { type: 'boolean', description: 'doctor only reads; accepted for symmetry with the other scripts' },
  },
} satisfies CommandSpec<Record<string, OptionSpec>>;

export async function doctor(argv: string[], deps: { out?: Output; preflight?: PreflightDeps } = {}): Promise<number> {
  const out = deps.out ?? process.stdout;
  const parsed = parseCommand(doctorSpec, argv, (t) => out.write(t));
  if (!parsed) return 0;
  const provider = resolveProvider(parsed.options.provider);
  preferProjectBin();
  const runner = new Runner({ dryRun: parsed.options['dry-run'], out });
  const checks = await runPreflight(runner, provider, {}, deps.preflight);
  out.write(`shopmesh doctor (${provider.name})\n${formatChecks(checks)}\n`);
  const bad = failures(checks);
  out.write(bad.length ? `\n${bad.length} problem(s) stop \`npm run up\`; fix them and run \`npm run doctor\` again.\n` : '\nReady for `npm run up`.\n');
  return bad.length ? 1 : 0;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) void runMain(() => doctor(process.argv.slice(2)));

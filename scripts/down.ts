// npm run down: deletes the sandbox cluster only; --all also deletes its registry.
import './lib/node-version.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, runMain, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { Runner, type Output } from './lib/plan.ts';
import { assertSandboxContext, PROVIDERS } from './lib/kube/context.ts';
import { resolveProvider } from './lib/providers/index.ts';
import type { ToolPaths } from './lib/providers/types.ts';
import { preferProjectBin } from './lib/tools/index.ts';

export const downSpec = {
  name: 'down',
  summary: 'delete the sandbox cluster (nothing else); --all also deletes its image registry',
  usage: 'npm run down -- [--provider k3d|kind|microk8s] [--all] [--dry-run]',
  options: {
    provider: { type: 'string', choices: PROVIDERS, description: 'which sandbox (default: the current sandbox context, else k3d)' },
    all: { type: 'boolean', description: 'also delete the registry (images are rebuilt on the next up)' },
    'dry-run': { type: 'boolean', description: 'print the plan; change nothing' },
  },
  details: 'microk8s is your host\'s own cluster: down uninstalls what up installed there and leaves microk8s running.',
} satisfies CommandSpec<Record<string, OptionSpec>>;

export async function down(argv: string[], deps: { out?: Output; tools?: ToolPaths } = {}): Promise<number> {
  const out = deps.out ?? process.stdout;
  const parsed = parseCommand(downSpec, argv, (t) => out.write(t));
  if (!parsed) return 0;
  const provider = resolveProvider(parsed.options.provider);
  assertSandboxContext(provider.context);
  const runner = new Runner({ dryRun: parsed.options['dry-run'], out });
  if (runner.dryRun) runner.note(`Plan for \`npm run down\` with ${provider.name} (dry run: nothing is changed)`);
  preferProjectBin();
  await runner.step(`delete the ${provider.name} sandbox${parsed.options.all ? ' and its registry' : ''}`, () => provider.down(runner, deps.tools ?? {}, { all: parsed.options.all }));
  if (!parsed.options.all && provider.name !== 'microk8s') runner.note('the registry stays, so the next `npm run up` reuses its images (`npm run down -- --all` removes it)');
  return 0;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) void runMain(() => down(process.argv.slice(2)));

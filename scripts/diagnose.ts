// npm run diagnose: collect what explains a broken sandbox (pod states, events, istiod and gateway
// logs, istioctl analyze) into reports/diagnostics/, one file per item, best effort.
import './lib/node-version.ts';
import path from 'node:path';
import { parseCommand, runMain, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { Runner } from './lib/plan.ts';
import { repoRoot } from './lib/versions.ts';
import { loadSandboxKubeConfig, tryLoadSandboxKubeConfig } from './lib/kube/client.ts';
import { resolveProvider } from './lib/providers/index.ts';
import { ensureTool, type ToolName } from './lib/tools/index.ts';
import { collectDiagnostics, diagnosticCollectors, DIAGNOSTIC_NAMESPACES } from './lib/ci/diagnostics.ts';

const spec = {
  name: 'diagnose',
  summary: 'collect pod states, events, istiod and gateway logs and `istioctl analyze` from the sandbox cluster',
  usage: 'npm run diagnose -- [--dry-run] [--context <name>] [--out <dir>]',
  options: {
    'dry-run': { type: 'boolean', description: 'Print the plan (every command and the file it fills) without running it.' },
    context: { type: 'string', description: 'Kube context to read; it must be the sandbox’s own (default: the current context).' },
    out: { type: 'string', default: 'reports/diagnostics', description: 'Directory that receives one file per item and summary.txt.' },
  },
  details: `Collected: pods and pod details in ${DIAGNOSTIC_NAMESPACES.join(', ')}; events in all namespaces; the applied
scenario; istiod and ingress gateway logs; istioctl analyze --all-namespaces and proxy-status.
Every item is tried even when another fails; the failed ones are named at the end and in summary.txt,
and the exit code is 1 when any failed. Runs after a failed e2e job in CI (.github/workflows/e2e.yaml).`,
} satisfies CommandSpec<Record<string, OptionSpec>>;

async function main(): Promise<number> {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options } = parsed;
  const runner = new Runner({ dryRun: Boolean(options['dry-run']) });
  // The guard comes first: nothing is downloaded or read from a cluster for a foreign context.
  const requested = options.context ? { context: options.context } : {};
  const sandbox = runner.dryRun ? tryLoadSandboxKubeConfig(requested) : loadSandboxKubeConfig(requested);
  // A plan made before the sandbox exists reads the context the scripts would use.
  const context = sandbox?.context ?? options.context ?? resolveProvider(undefined).context;
  const tools = { kubectl: await toolOrPath(runner, 'kubectl'), istioctl: await toolOrPath(runner, 'istioctl') };
  const outDir = path.resolve(repoRoot, options.out ?? 'reports/diagnostics');
  runner.note(`diagnostics of ${context} → ${path.relative(repoRoot, outDir) || '.'}`);
  const outcomes = await collectDiagnostics(runner, diagnosticCollectors({ context, tools }), outDir);
  if (runner.dryRun) return 0;
  const failed = outcomes.filter((o) => !o.ok);
  runner.note(failed.length ? `${failed.length} of ${outcomes.length} items failed: ${failed.map((o) => o.collector.name).join(', ')}` : `all ${outcomes.length} items collected`);
  return failed.length ? 1 : 0;
}

/** The pinned tool when it can be had; otherwise its name on PATH, so only the items that need it fail. */
async function toolOrPath(runner: Runner, tool: ToolName): Promise<string> {
  try {
    return await ensureTool(runner, tool);
  } catch (err) {
    runner.note(`! ${tool} at its pinned version is unavailable (${(err as Error).message}); trying ${tool} from PATH`);
    return tool;
  }
}

await runMain(main);

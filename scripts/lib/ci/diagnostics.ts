// What `npm run diagnose` collects from a sandbox cluster, and the best-effort loop that collects it:
// every item is tried, a failing one is recorded (with its stderr in its file) and the rest go on.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommandError, type ExecResult, type Runner } from '../plan.ts';

/** The namespaces whose pods tell whether the shop, the mesh and cert-manager came up. */
export const DIAGNOSTIC_NAMESPACES = ['shop', 'istio-system', 'istio-ingress', 'cert-manager'] as const;

export interface Collector {
  /** A short name, used in the summary. */
  name: string;
  /** The file under the output directory that receives the command's output. */
  file: string;
  command: string;
  args: string[];
}

export interface CollectorTools {
  kubectl: string;
  istioctl: string;
}

export interface CollectorOptions {
  context: string;
  tools: CollectorTools;
  /** Lines of log kept per container. */
  logTail?: number;
}

export function diagnosticCollectors({ context, tools, logTail = 2000 }: CollectorOptions): Collector[] {
  const kubectl = (name: string, file: string, ...args: string[]): Collector => ({
    name,
    file,
    command: tools.kubectl,
    args: ['--context', context, ...args],
  });
  const tail = `--tail=${logTail}`;
  return [
    ...DIAGNOSTIC_NAMESPACES.flatMap((ns) => [
      kubectl(`pods in ${ns}`, `pods-${ns}.txt`, 'get', 'pods', '--namespace', ns, '--output', 'wide'),
      kubectl(`pod details in ${ns}`, `describe-pods-${ns}.txt`, 'describe', 'pods', '--namespace', ns),
    ]),
    kubectl('recent events', 'events.txt', 'get', 'events', '--all-namespaces', '--sort-by=.lastTimestamp'),
    kubectl('applied scenario', 'scenario.yaml', 'get', 'configmap', 'shopmesh-scenario', '--namespace', 'shop', '--output', 'yaml'),
    kubectl('istiod logs', 'istiod.log', 'logs', '--namespace', 'istio-system', '--selector', 'app=istiod', '--all-containers', '--prefix', tail),
    kubectl('ingress gateway logs', 'ingress-gateway.log', 'logs', '--namespace', 'istio-ingress', '--selector', 'istio=ingress', '--all-containers', '--prefix', tail),
    { name: 'istioctl analyze', file: 'istioctl-analyze.txt', command: tools.istioctl, args: ['--context', context, 'analyze', '--all-namespaces'] },
    { name: 'proxy status', file: 'istioctl-proxy-status.txt', command: tools.istioctl, args: ['--context', context, 'proxy-status'] },
  ];
}

export interface CollectorOutcome {
  collector: Collector;
  /** The command's exit code; 127 when the tool was not found. */
  code: number;
  ok: boolean;
}

/** Runs every collector, writes each one's output to its file and a summary.txt, and never stops early. */
export async function collectDiagnostics(runner: Runner, collectors: readonly Collector[], outDir: string, timeoutMs = 90_000): Promise<CollectorOutcome[]> {
  if (!runner.dryRun) mkdirSync(outDir, { recursive: true });
  const outcomes: CollectorOutcome[] = [];
  for (const collector of collectors) {
    const target = path.join(outDir, collector.file);
    const result = await runCollector(runner, collector, timeoutMs);
    const ok = result.code === 0;
    outcomes.push({ collector, code: result.code, ok });
    if (runner.dryRun) continue;
    const body = ok ? result.stdout : `# ${collector.name} failed (exit ${result.code})\n${result.stderr}${result.stdout ? `\n# stdout\n${result.stdout}` : ''}`;
    writeFileSync(target, body.endsWith('\n') || body === '' ? body : `${body}\n`);
    if (!ok) runner.note(`✗ ${collector.name} failed (exit ${result.code}); see ${collector.file}`);
  }
  if (!runner.dryRun) writeFileSync(path.join(outDir, 'summary.txt'), summarize(outcomes));
  return outcomes;
}

async function runCollector(runner: Runner, collector: Collector, timeoutMs: number): Promise<ExecResult> {
  try {
    // Without allowFailure a non-zero exit throws, so the step is shown as failed; the result is kept below.
    return await runner.step(`${collector.name} → ${collector.file}`, () => runner.exec(collector.command, collector.args, { timeoutMs }));
  } catch (err) {
    if (err instanceof CommandError) return err.result;
    return { code: 1, stdout: '', stderr: (err as Error).message };
  }
}

/** One line per collector, failures first named in a closing line, so the artifact reads at a glance. */
export function summarize(outcomes: readonly CollectorOutcome[]): string {
  const width = Math.max(0, ...outcomes.map((o) => o.collector.file.length)) + 2;
  const lines = outcomes.map((o) => `${o.ok ? 'ok    ' : 'FAILED'}  ${o.collector.file.padEnd(width)}${o.collector.name}${o.ok ? '' : ` (exit ${o.code})`}`);
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.collector.name);
  lines.push('', failed.length ? `${failed.length} of ${outcomes.length} collectors failed: ${failed.join(', ')}` : `all ${outcomes.length} collectors succeeded`);
  return `${lines.join('\n')}\n`;
}

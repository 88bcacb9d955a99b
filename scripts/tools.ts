// npm run tools: puts every pinned upstream tool into .bin/ (a verified release download where one
// is reachable, else a build from its Go module), so the tests and the scripts run the real tools.
import './lib/node-version.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, runMain, UsageError, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { Runner, type Output } from './lib/plan.ts';
import { findGo, GO_TOOLS } from './lib/tools/gobuild.ts';
import { provisionCrds } from './lib/tools/crds.ts';
import { binDir, pinnedVersion, provideTool, TOOLS, type ToolName, type ToolSource } from './lib/tools/index.ts';
import { repoRoot, version } from './lib/versions.ts';

/** What the tests and `npm run check` need, in the order they are provided (the quick ones first). */
export const DEFAULT_TOOLS: readonly ToolName[] = ['etcd', 'kube-apiserver', 'kubectl', 'helm', 'kind', 'k3d', 'istioctl', 'pilot-discovery', 'shopmesh-charts', 'shopmesh-xds', 'tilt'];

export const toolsSpec = {
  name: 'tools',
  summary: 'provide the pinned upstream tools in .bin/: a verified release download, or a build from the Go module',
  usage: 'npm run tools -- [--only <tool,tool>] [--dry-run]',
  options: {
    only: { type: 'string', description: `a comma-separated subset of: ${TOOLS.join(', ')}` },
    'dry-run': { type: 'boolean', description: 'print what would be downloaded or built, and change nothing' },
  },
  details: `
Each tool ends up at the version in versions.yaml, whichever way it came:
  present     .bin/<tool> already reports the pinned version (a re-run is instant)
  PATH        the one on your PATH reports the pinned version
  downloaded  the official release, checked against scripts/lib/tools/checksums.yaml
  built       compiled from tools/<module>/go.mod with Go >= 1.26 (minutes for the large ones)
  cache       copied from a build made earlier on this machine (${'$'}SHOPMESH_TOOLS_CACHE,
              else ~/.cache/shopmesh/tools), so a fresh clone compiles nothing twice
k6 is provided by the scenario runner when a scenario needs it.`,
} satisfies CommandSpec<Record<string, OptionSpec>>;

const DESCRIBE: Record<ToolSource, string> = {
  present: 'already in .bin',
  path: 'on PATH',
  downloaded: 'downloaded, sha256 verified',
  built: 'built from its Go module',
  cache: "copied from this machine's build cache",
};

export async function tools(argv: string[], deps: { out?: Output } = {}): Promise<number> {
  const out = deps.out ?? process.stdout;
  const parsed = parseCommand(toolsSpec, argv, (t) => out.write(t));
  if (!parsed) return 0;
  const wanted = parsed.options.only ? parsed.options.only.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_TOOLS];
  const unknown = wanted.filter((t) => !(TOOLS as readonly string[]).includes(t));
  if (unknown.length) throw new UsageError(`unknown tool ${unknown.map((u) => `"${u}"`).join(', ')}; the tools are ${TOOLS.join(', ')}`);
  const runner = new Runner({ dryRun: parsed.options['dry-run'], out });
  const go = await findGo(runner);
  const started = Date.now();
  const rows: string[] = [];
  for (const tool of wanted as ToolName[]) {
    const goTool = GO_TOOLS.find((t) => t.name === tool);
    const title = `${tool} ${pinnedVersion(tool)}${goTool ? ` (${goTool.upstream}, tools/${goTool.module})` : ''}`;
    const t0 = Date.now();
    const got = await runner.step(title, () => provideTool(runner, tool, { go: go ?? null }));
    const where = got.path === tool ? got.path : path.relative(repoRoot, got.path);
    rows.push(`  ${tool.padEnd(16)}${pinnedVersion(tool).padEnd(40)}${DESCRIBE[got.source]} (${where}, ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }
  // The real CRDs (Istio's from istioctl, Gateway API's and cert-manager's generated from their Go
  // types) and an etcd seed with them installed: what the local API server of the tests and checks loads.
  if (!parsed.options.only || wanted.some((t) => ['istioctl', 'kube-apiserver', 'etcd'].includes(t))) {
    if (go) {
      const t0 = Date.now();
      const how = await runner.step('the real CRDs (Istio, Gateway API, cert-manager) and their etcd seed', () => provisionCrds(runner, { go, istioctl: path.join(binDir(), 'istioctl'), binDir: binDir() }));
      rows.push(`  ${'CRDs'.padEnd(16)}${`${`gateway-api ${version('crds.gatewayApi')}, cert-manager ${version('charts.certManager')}`.padEnd(39)} `}${how === 'cache' ? 'already made' : 'generated'} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    } else {
      rows.push(`  ${'CRDs'.padEnd(16)}not made: generating them needs Go >= 1.26`);
    }
  }
  out.write(`\n${parsed.options['dry-run'] ? 'Would provide' : 'Provided'} ${wanted.length} tool(s) in ${((Date.now() - started) / 1000).toFixed(1)}s:\n${rows.join('\n')}\n`);
  return 0;
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) void runMain(() => tools(process.argv.slice(2)));

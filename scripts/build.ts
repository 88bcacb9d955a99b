// npm run build: build every service's production image, tagged by content, and push it to the
// sandbox's local registry. Unchanged services keep their tag and are skipped.
import './lib/node-version.ts';
import { parseCommand, runMain, UsageError, type CommandSpec, type OptionSpec } from './lib/cli.ts';
import { Runner } from './lib/plan.ts';
import { buildAndPushImages } from './lib/images/build.ts';

const DEFAULT_REGISTRY = 'localhost:5050';

const spec = {
  name: 'build',
  summary: 'build the production image of every service (tagged by content) and push it to the local registry',
  usage: 'npm run build -- [--dry-run] [--registry <host:port>] [--services a,b] [--no-push] [--json]',
  options: {
    'dry-run': { type: 'boolean', description: 'Print the plan (the docker commands) without running them. Registry look-ups still run.' },
    registry: { type: 'string', default: DEFAULT_REGISTRY, description: 'Registry the host pushes to (k3d and kind: host port 5050; microk8s: localhost:32000).' },
    'cluster-registry': { type: 'string', description: 'The same registry as the cluster pulls from it, used in the printed refs (default: --registry).' },
    services: { type: 'string', description: 'Comma-separated services to build (default: every folder under services/ with src/main.ts).' },
    push: { type: 'boolean', description: 'Push each built image (the default).' },
    'no-push': { type: 'boolean', description: 'Build into the local Docker image store only.' },
    json: { type: 'boolean', description: 'Print the service → image ref map as JSON on stdout at the end.' },
  },
  details: `The tag is a hash of what goes into the image: the service's src, services/shared, package.json,
package-lock.json, tsconfig.json, the Dockerfile, the bundler and the base image pinned in
versions.yaml (images.node). When the registry already has that tag, the service is not rebuilt.

Examples:
  npm run build
  npm run build -- --services products,orders --dry-run
  npm run build -- --no-push --json`,
} satisfies CommandSpec<Record<string, OptionSpec>>;

async function main(): Promise<number> {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const { options } = parsed;
  if (options.push && options['no-push']) throw new UsageError('--push and --no-push contradict each other');
  const registry = options.registry ?? DEFAULT_REGISTRY;
  if (!/^[\w.-]+(:\d+)?$/.test(registry)) throw new UsageError(`--registry must be host:port; got "${registry}"`);
  const services = options.services?.split(',').map((s) => s.trim()).filter(Boolean);
  const json = Boolean(options.json);
  // With --json, progress goes to stderr so stdout is only the map.
  const runner = new Runner({ dryRun: Boolean(options['dry-run']), ...(json ? { out: process.stderr } : {}) });
  const refs = await buildAndPushImages(runner, {
    pushRegistry: registry,
    clusterRegistry: options['cluster-registry'] ?? registry,
    push: !options['no-push'],
    ...(services ? { services } : {}),
  });
  if (json) process.stdout.write(`${JSON.stringify(refs, null, 2)}\n`);
  else for (const [service, ref] of Object.entries(refs)) runner.note(`${service.padEnd(14)} ${ref}`);
  return 0;
}

await runMain(main);

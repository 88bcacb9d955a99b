// npm run check [-- <kustomization dir>...]: offline analysis of the overlays (see scripts/lib/check).
import './lib/node-version.ts';
import { parseCommand, runMain } from './lib/cli.ts';
import { checkKustomizations, formatFindings, formatFootprintTable, shippedKustomizations } from './lib/check/index.ts';

const spec = {
  name: 'check',
  summary: 'Render the root kustomization and every overlay, and check schema, cross-references, workload policy and footprint.',
  usage: 'npm run check [-- [options] [<kustomization dir>...]]',
  allowPositionals: true,
  options: {
    quiet: { type: 'boolean', short: 'q', description: 'Print only errors (no warnings, no footprint table).' },
    json: { type: 'boolean', description: 'Print one JSON document: findings and footprint per kustomization.' },
  },
  details: `Without arguments it checks the root kustomization and every folder under overlays/ (components are
checked through the overlays that use them). Exits 1 when any error is found.

Examples:
  npm run check
  npm run check -- overlays/canary my-overlays/experiment`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const dirs = parsed.positionals.length ? parsed.positionals : shippedKustomizations();
  const results = await checkKustomizations(dirs);
  const errors = results.flatMap((r) => r.errors);
  if (parsed.options.json) {
    const doc = results.map(({ overlay, errors: e, warnings, footprint, objects }) => ({ overlay, objects: objects.length, errors: e, warnings, footprint }));
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return errors.length ? 1 : 0;
  }
  process.stderr.write(formatFindings(errors));
  if (!parsed.options.quiet) {
    process.stderr.write(formatFindings(results.flatMap((r) => r.warnings)));
    process.stdout.write(`\nFootprint of the app containers (sidecars not included):\n${formatFootprintTable(results.map((r) => r.footprint))}`);
  }
  const objects = results.reduce((n, r) => n + r.objects.length, 0);
  process.stdout.write(`${errors.length ? 'FAIL' : 'ok'}: ${results.length} kustomization(s), ${objects} objects, ${errors.length} error(s)\n`);
  return errors.length ? 1 : 0;
});

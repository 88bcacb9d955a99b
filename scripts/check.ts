// npm run check [-- <kustomization dir>...]: the overlays through the real tools (see scripts/lib/check).
import './lib/node-version.ts';
import { parseCommand, runMain } from './lib/cli.ts';
import { ALLOW_FILE } from './lib/check/analyze.ts';
import { checkKustomizations, formatFindings, formatFootprintTable, formatLaptopBudget, formatLayers, shippedKustomizations } from './lib/check/index.ts';

const spec = {
  name: 'check',
  summary: 'Render the root kustomization and every overlay, and check them with istioctl analyze, a real API server (dry-run, Pod Security on the injected pods) and shopmesh rules.',
  usage: 'npm run check [-- [options] [<kustomization dir>...]]',
  allowPositionals: true,
  options: {
    quiet: { type: 'boolean', short: 'q', description: 'Print only errors and the verdict (no footprint, no layer times).' },
    json: { type: 'boolean', description: 'Print one JSON document: layers, findings and footprint per kustomization.' },
  },
  details: `Without arguments it checks the root kustomization and every folder under overlays/ (components are
checked through the overlays that use them). Layers, in order:
  render            kustomize (kubectl kustomize)
  istioctl analyze  live, against a local kube-apiserver holding the overlay's cluster as it would
                    run (its Services, Deployments, one Pod per replica as injected, the Secrets
                    cert-manager issues, istiod and the ingress gateway as \`up\` installs them);
                    the overlay's Istio config is given as files
  server dry-run    every object against that kube-apiserver with the real CRDs, strict fields
  injected pods     each pod after istioctl kube-inject, created (dry-run) in its labelled
                    namespace, so Pod Security "enforce" judges it
  shopmesh rules    requests/limits, probes, app/version labels, one ServiceAccount per app, mesh
                    callers of gateway-only routes, and the laptop budget
istioctl, helm, kubectl, kube-apiserver and etcd come from .bin/ (\`npm run tools\` provisions them),
openssl from the system;
a layer that cannot run is named and the check fails. Exceptions to istioctl's findings live in
check-allow.yaml, one reviewed entry with a reason each. Exits 1 on any error.

Examples:
  npm run check
  npm run check -- overlays/canary my-overlays/experiment`,
} as const;

await runMain(async () => {
  const parsed = parseCommand(spec);
  if (!parsed) return 0;
  const shipped = parsed.positionals.length === 0;
  const dirs = shipped ? shippedKustomizations() : parsed.positionals;
  const verbose = Boolean(process.env.SHOPMESH_VERBOSE);
  const report = await checkKustomizations(dirs, { log: verbose ? (l) => process.stderr.write(`${l}\n`) : undefined });
  const { results, layers } = report;
  const errors = results.flatMap((r) => r.errors);
  const missing = layers.filter((l) => l.unavailable);
  // Stale exceptions are reported only for the shipped set: a user's folders need not use them all.
  const stale = shipped ? report.unusedAllows : [];
  const failed = errors.length > 0 || missing.length > 0 || stale.length > 0;
  if (parsed.options.json) {
    const doc = {
      layers,
      apiServerStartMs: report.apiServerStartMs,
      overlays: results.map(({ overlay, objects, pods, errors: e, warnings, footprint }) => ({ overlay, objects: objects.length, pods: pods.length, errors: e, warnings, footprint })),
      budgets: report.budgets,
      unusedAllows: stale,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  process.stderr.write(formatFindings(errors));
  for (const a of stale) process.stderr.write(`error: ${ALLOW_FILE}: the entry for ${a.code}${a.object ? ` ${a.object}` : ''}${a.overlay ? ` in ${a.overlay}` : ''} excuses nothing any more; delete it\n`);
  if (!parsed.options.quiet) {
    process.stderr.write(formatFindings(results.flatMap((r) => r.warnings)));
    process.stdout.write(`\nFootprint of the pods as they will run (app containers and sidecars):\n${formatFootprintTable(results.map((r) => r.footprint))}`);
    if (report.budgets.length) process.stdout.write(`\n${formatLaptopBudget(report.budgets)}`);
    process.stdout.write(`\n${formatLayers(report)}`);
  } else if (missing.length) {
    process.stderr.write(formatLayers(report));
  }
  const objects = results.reduce((n, r) => n + r.objects.length, 0);
  const notRun = missing.length ? `, ${missing.length} layer(s) could not run (${missing.map((l) => l.layer).join(', ')})` : '';
  process.stdout.write(`${failed ? 'FAIL' : 'ok'}: ${results.length} kustomization(s), ${objects} objects, ${errors.length} error(s)${notRun}\n`);
  return failed ? 1 : 0;
});

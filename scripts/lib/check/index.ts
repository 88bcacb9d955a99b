// `npm run check`: renders kustomizations with the real kustomize and checks every object for
// schema mistakes, broken cross-references and workload policy, and sums the footprint.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RenderError, renderKustomization, type KubeObject } from '../kube/render.ts';
import { repoRoot } from '../versions.ts';
import { FindingSink, formatFinding, type Finding } from './finding.ts';
import { footprint, type Footprint } from './footprint.ts';
import { ObjectIndex } from './objects.ts';
import { checkReferences } from './references.ts';
import { checkSchemas } from './schema.ts';
import { checkWorkloads } from './workloads.ts';

export { formatFinding, type Finding } from './finding.ts';
export { formatFootprintTable, type Footprint } from './footprint.ts';

export interface CheckResult {
  dir: string;
  /** How the overlay is named in messages: its path relative to the repository (or as given). */
  overlay: string;
  objects: KubeObject[];
  errors: Finding[];
  warnings: Finding[];
  footprint: Footprint;
}

/** The root kustomization, then every overlay folder (components are checked through the overlays using them). */
export function shippedKustomizations(root = repoRoot): string[] {
  const overlays = path.join(root, 'overlays');
  const dirs = existsSync(overlays)
    ? readdirSync(overlays, { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name !== 'components' && existsSync(path.join(overlays, d.name, 'kustomization.yaml')))
        .map((d) => path.join(overlays, d.name))
        .sort()
    : [];
  return [root, ...dirs];
}

export function overlayLabel(dir: string, root = repoRoot): string {
  const rel = path.relative(root, path.resolve(dir));
  if (rel === '') return '.';
  return rel.startsWith('..') ? dir : rel.split(path.sep).join('/');
}

/** Checks one kustomization folder: what the scenario runner calls before applying an overlay. */
export async function checkKustomization(dir: string): Promise<{ objects: KubeObject[]; errors: Finding[]; warnings: Finding[] }> {
  const [result] = await checkKustomizations([dir]);
  return result!;
}

/** Checks several folders; they render in parallel and share one type-check run. */
export async function checkKustomizations(dirs: string[]): Promise<CheckResult[]> {
  const rendered = await Promise.all(
    dirs.map(async (dir) => {
      const sink = new FindingSink(overlayLabel(dir));
      try {
        return { dir, sink, objects: await renderKustomization(dir) };
      } catch (err) {
        if (!(err instanceof RenderError)) throw err;
        sink.error('render', null, '', err.message.replace(`${dir}: `, ''));
        return { dir, sink, objects: [] as KubeObject[] };
      }
    }),
  );
  const checked = await checkRendered(rendered.map(({ sink, objects }) => ({ overlay: sink.overlay, objects, sink })));
  return checked.map((c, i) => ({ ...c, dir: rendered[i]!.dir }));
}

/** Runs every rule over already-rendered objects (fixtures use this directly). */
export async function checkRendered(batches: { overlay: string; objects: KubeObject[]; sink?: FindingSink }[]): Promise<Omit<CheckResult, 'dir'>[]> {
  const sinks = batches.map((b) => b.sink ?? new FindingSink(b.overlay));
  await checkSchemas(batches.map(({ objects }, i) => ({ sink: sinks[i]!, objects })));
  return batches.map(({ objects }, i) => {
    const sink = sinks[i]!;
    const index = new ObjectIndex(objects);
    checkReferences(index, sink);
    checkWorkloads(index, sink);
    return {
      overlay: sink.overlay,
      objects,
      errors: sink.findings.filter((f) => f.severity === 'error'),
      warnings: sink.findings.filter((f) => f.severity === 'warning'),
      footprint: footprint(sink.overlay, index),
    };
  });
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.severity}: ${formatFinding(f)}\n`).join('');
}

// `npm run xds`: each scenario's claims proven in the Envoy config istiod generates for its overlay.
import path from 'node:path';
import { renderKustomization, type KubeObject } from '../kube/render.ts';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { deriveExpectations, ExpectationError } from '../scenario/expectations.ts';
import { callsFor, checkClaims, type ClaimRow } from './claims.ts';
import { generateXds, type XdsResult } from './generate.ts';

export interface XdsTarget {
  scenario: ScenarioName;
  /** The overlay folder to render (overlays/<scenario>, or the user's own). */
  dir: string;
}

export interface XdsReport {
  target: XdsTarget;
  expectations?: Expectations;
  rows: ClaimRow[];
  result?: XdsResult;
}

export const passed = (r: XdsReport): boolean => r.rows.length > 0 && r.rows.every((x) => x.pass);

/** Renders, derives and generates every target in one shopmesh-xds run, then checks each claim. */
export async function proveTargets(targets: readonly XdsTarget[], opts: { render?: (dir: string) => Promise<KubeObject[]>; bin?: string } = {}): Promise<XdsReport[]> {
  const render = opts.render ?? renderKustomization;
  const prepared = await Promise.all(targets.map(async (target) => {
    const objects = await render(target.dir);
    try {
      const expectations = deriveExpectations(target.scenario, objects);
      return { target, objects, expectations, calls: callsFor(expectations, objects) };
    } catch (err) {
      if (!(err instanceof ExpectationError)) throw err;
      return { target, objects, error: err.message };
    }
  }));
  const runnable = prepared.filter((p) => p.expectations);
  const results = runnable.length
    ? await generateXds(runnable.map((p, i) => ({ name: `${i}:${p.target.scenario}`, objects: p.objects, calls: p.calls! })), opts.bin)
    : [];
  return prepared.map((p) => {
    if (!p.expectations) return { target: p.target, rows: [{ claim: 'the runner derives expectations', promised: 'derivable', generated: p.error!, pass: false }] };
    const result = results[runnable.indexOf(p)]!;
    return { target: p.target, expectations: p.expectations, result, rows: checkClaims(p.expectations, result, p.objects) };
  });
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The claims table: claim, what the overlay promises, what the generated config says, PASS/FAIL. */
export function formatReport(r: XdsReport, root: string): string {
  const header = `${r.target.scenario} (${path.relative(root, r.target.dir) || r.target.dir}): ${passed(r) ? 'PASS' : 'FAIL'}`;
  const cols = ['claim', 'overlay promises', 'generated config', ''];
  const body = r.rows.map((x) => [clip(x.claim, 90), clip(x.promised, 48), clip(x.generated, 60), x.pass ? 'PASS' : 'FAIL']);
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  const kinds = [...new Set((r.result?.ignored ?? []).map((o) => o.split(' ')[0]))];
  const ignored = kinds.length ? [`  not read by istiod (a live cluster proves these): ${kinds.join(', ')}`] : [];
  return [header, line(cols), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ...ignored].join('\n');
}

// `npm run scenario:<name> -- --dry-run --json`: what the runner would hand k6, as one JSON document
// (the expectations derived from the rendered overlay, the load plan and the claims), so other
// levels (`npm run xds`) and people can check it without a cluster.
import path from 'node:path';
import type { KubeObject } from '../kube/render.ts';
import { breakerWindow, claimsFor, loadPlan, type BreakerWindow, type Claim, type Phase } from '../../../loadtests/lib/claims.ts';
import { planRefusals, powerCheck, type PowerRow } from '../../../loadtests/lib/power.ts';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { deriveExpectations } from './expectations.ts';

export interface ScenarioPlanJson {
  scenario: ScenarioName;
  overlay: string;
  expectations: Expectations;
  load: Phase[];
  claims: Claim[];
  /** Every share claim with p, its band at the planned n, the rate, and how often a broken mesh would pass. */
  power: PowerRow[];
  /** Why the runner would refuse this plan before any load (empty: it would run). */
  refusals: string[];
  breakerWindow?: BreakerWindow;
}

export function scenarioPlanJson(name: ScenarioName, overlayDir: string, objects: readonly KubeObject[], root: string): ScenarioPlanJson {
  const expectations = deriveExpectations(name, objects);
  const load = loadPlan(expectations);
  const claims = claimsFor(expectations, load);
  return {
    scenario: name,
    overlay: path.relative(root, overlayDir) || overlayDir,
    expectations,
    load,
    claims,
    power: powerCheck(claims, load),
    refusals: planRefusals(expectations, load, claims),
    ...(expectations.scenario === 'breaker' ? { breakerWindow: breakerWindow(expectations, load) } : {}),
  };
}

// `npm run scenario:<name> -- --dry-run --json`: what the runner would hand k6, as one JSON document
// (the expectations derived from the rendered overlay, the load plan and the claims), so other
// levels (`npm run xds`) and people can check it without a cluster.
import path from 'node:path';
import type { KubeObject } from '../kube/render.ts';
import { claimsFor, loadPlan, type Claim, type Phase } from '../../../loadtests/lib/claims.ts';
import type { Expectations, ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { deriveExpectations } from './expectations.ts';

export interface ScenarioPlanJson {
  scenario: ScenarioName;
  overlay: string;
  expectations: Expectations;
  load: Phase[];
  claims: Claim[];
}

export function scenarioPlanJson(name: ScenarioName, overlayDir: string, objects: readonly KubeObject[], root: string): ScenarioPlanJson {
  const expectations = deriveExpectations(name, objects);
  const load = loadPlan(expectations);
  return { scenario: name, overlay: path.relative(root, overlayDir) || overlayDir, expectations, load, claims: claimsFor(expectations, load) };
}

// What every k6 script does first: read the expectations the runner derived from the overlay and
// where to send requests, then build the load plan and the thresholds that state the claims.
import { claimsFor, k6Scenarios, loadPlan, thresholdsFor } from './claims.ts';
import { parseExpectations, type ScenarioName } from './expectations.ts';
import { commonOptions, targetFromEnv } from './target.ts';

export function scenarioSetup<S extends ScenarioName>(scenario: S, env: Record<string, string | undefined>) {
  const expect = parseExpectations(env.SHOPMESH_EXPECT, scenario);
  const target = targetFromEnv(env);
  /** In-cluster Jobs run one role each (a ServiceAccount or namespace); host runs have none. */
  const role = env.ROLE;
  const phases = loadPlan(expect);
  const options = {
    ...commonOptions(target),
    scenarios: k6Scenarios(phases, role),
    thresholds: thresholdsFor(claimsFor(expect, phases, role)),
  };
  return { expect, target, role, options };
}

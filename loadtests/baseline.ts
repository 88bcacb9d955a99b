// baseline: every gateway route answers 2xx and the error rate stays under 1%.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { claimsFor, k6Scenarios, loadPlan, thresholdsFor } from './lib/claims.ts';
import { parseExpectations } from './lib/expectations.ts';
import { asResponseLike, commonOptions, targetFromEnv } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';

const expect = parseExpectations(__ENV.SHOPMESH_EXPECT, 'baseline');
const target = targetFromEnv(__ENV);
const role = __ENV.ROLE;
const phases = loadPlan(expect);

export const options: Options = {
  ...commonOptions(target),
  scenarios: k6Scenarios(phases, role),
  thresholds: thresholdsFor(claimsFor(expect, phases, role)),
};

const routeOk = new Rate('route_ok');
const errors = new Rate('errors');

export function routes(): void {
  const route = expect.routes[exec.scenario.iterationInTest % expect.routes.length]!;
  const res = http.get(`${target.baseUrl}${route.path}`, { headers: target.headers, tags: { name: route.prefix } });
  const c = classify(asResponseLike(res));
  routeOk.add(c.ok, { route: route.name });
  errors.add(!c.ok);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

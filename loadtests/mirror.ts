// mirror: clients only ever see the routed version; the runner reads the mirror target's own
// request counter afterwards to prove the copies arrived.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { claimsFor, k6Scenarios, loadPlan, thresholdsFor } from './lib/claims.ts';
import { parseExpectations } from './lib/expectations.ts';
import { asResponseLike, commonOptions, targetFromEnv } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Counter, Rate } from 'k6/metrics';
import { PRODUCT_PATH } from './lib/endpoints.ts';

const expect = parseExpectations(__ENV.SHOPMESH_EXPECT, 'mirror');
const target = targetFromEnv(__ENV);
const role = __ENV.ROLE;
const phases = loadPlan(expect);

export const options: Options = {
  ...commonOptions(target),
  scenarios: k6Scenarios(phases, role),
  thresholds: thresholdsFor(claimsFor(expect, phases, role)),
};

const routeVersion = new Rate('mirror_route_version');
const sent = new Counter('mirror_sent');

export function traffic(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers });
  sent.add(1);
  const c = classify(asResponseLike(res));
  routeVersion.add(c.version === expect.routeVersion);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

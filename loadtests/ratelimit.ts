// ratelimit: a local token bucket lets limit/s through; at about 4x that rate the rest get 429.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { claimsFor, k6Scenarios, loadPlan, thresholdsFor } from './lib/claims.ts';
import { parseExpectations } from './lib/expectations.ts';
import { asResponseLike, commonOptions, targetFromEnv } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Rate } from 'k6/metrics';
import { PRODUCT_PATH } from './lib/endpoints.ts';

const expect = parseExpectations(__ENV.SHOPMESH_EXPECT, 'ratelimit');
const target = targetFromEnv(__ENV);
const role = __ENV.ROLE;
const phases = loadPlan(expect);

export const options: Options = {
  ...commonOptions(target),
  scenarios: k6Scenarios(phases, role),
  thresholds: thresholdsFor(claimsFor(expect, phases, role)),
};

const limited = new Rate('ratelimit_429');

export function traffic(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers });
  limited.add(classify(asResponseLike(res)).kind === 'rate-limited');
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

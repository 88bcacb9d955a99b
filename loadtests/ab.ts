// ab: requests carrying the beta header reach the matched version, everyone else the default one.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Counter, Rate } from 'k6/metrics';
import { PRODUCT_PATH } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('ab', __ENV);

export const options: Options = planned;

const betaMatch = new Rate('ab_beta_match');
const otherMatch = new Rate('ab_other_match');
// No HTTP response (dial, reset): the network's failure, counted on its own row, not in the shares.
const infra = new Counter('infra_noise');

export function beta(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: { ...target.headers, [expect.header]: expect.value }, tags: { group: 'beta' } });
  const c = classify(asResponseLike(res));
  infra.add(c.infraNoise ? 1 : 0);
  if (!c.infraNoise) betaMatch.add(c.version === expect.matchVersion);
}

export function other(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers, tags: { group: 'other' } });
  const c = classify(asResponseLike(res));
  infra.add(c.infraNoise ? 1 : 0);
  if (!c.infraNoise) otherMatch.add(c.version === expect.matchVersion);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

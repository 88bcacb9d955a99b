// canary: the products VirtualService sends a weighted share to v2. Each response is classified by
// x-service-version; the v2 share must sit in the binomial band around the rendered weight.
import http from 'k6/http';
import { Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { PRODUCT_PATH } from './lib/endpoints.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('canary', __ENV);

export const options: Options = planned;

const versionShare = new Rate('canary_version_share');
const errors = new Rate('errors');

export function traffic(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers, tags: { name: PRODUCT_PATH } });
  const c = classify(asResponseLike(res));
  errors.add(!c.ok);
  if (c.ok) versionShare.add(c.version === expect.version);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

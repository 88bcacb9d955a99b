// fault: Envoy delays a share of products calls and aborts another share with a fixed status.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Rate } from 'k6/metrics';
import { PRODUCT_PATH } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('fault', __ENV);

export const options: Options = planned;

const aborted = new Rate('fault_aborted');
const delayed = new Rate('fault_delayed');

export function traffic(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers, timeout: `${(expect.delay?.ms ?? 0) + 10_000}ms` });
  const c = classify(asResponseLike(res));
  if (expect.abort) aborted.add(c.faultAbort && c.status === expect.abort.status);
  if (expect.delay) delayed.add(res.timings.duration >= expect.delay.ms);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

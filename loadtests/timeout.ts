// timeout: a slow service behind a route timeout fails fast with 504, not after its full delay.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Rate, Trend } from 'k6/metrics';
import { ORDER_PATH } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('timeout', __ENV);

export const options: Options = planned;

const timedOut = new Rate('timeout_504');
const duration = new Trend('timeout_duration', true);

export function orders(): void {
  const res = http.get(`${target.baseUrl}${ORDER_PATH}`, { headers: target.headers, timeout: `${expect.latencyMs + 5000}ms` });
  timedOut.add(classify(asResponseLike(res)).status === 504);
  duration.add(res.timings.duration);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

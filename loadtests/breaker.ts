// breaker: a tiny connection pool overflows (503 + x-envoy-overloaded) under concurrency, and
// outlier detection ejects the pod that always fails, so calls after warm-up succeed.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import exec from 'k6/execution';
import { Counter, Rate } from 'k6/metrics';
import { PRODUCT_PATH } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';
import { breakerWindow } from './lib/claims.ts';

const { expect, target, options: planned } = scenarioSetup('breaker', __ENV);

export const options: Options = planned;

// Counted: requests sent after warm-up and before the ejected pod could return (the plan refuses a
// baseEjectionTime that would let it back in), so the margin is printed with the claim.
const window = breakerWindow(expect);
const overflow = new Counter('breaker_overflow');
const outlierOk = new Rate('breaker_outlier_ok');

export function outlier(): void {
  const sentAtS = exec.instance.currentTestRunDuration / 1000;
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers, tags: { phase: 'outlier' } });
  if (sentAtS >= window.fromS && sentAtS < window.toS) outlierOk.add(classify(asResponseLike(res)).ok);
}

export function overflow_(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers, tags: { phase: 'overflow' } });
  const c = classify(asResponseLike(res));
  overflow.add(c.overloaded && c.status === 503 ? 1 : 0);
}
export { overflow_ as overflow };

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

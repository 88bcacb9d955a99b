// lb: consistent hashing on a user header keeps each user on one pod. Each VU owns one user id
// (there are exactly as many VUs as users) and checks every answer came from its first pod. The
// runner then asks once per user which pod it lands on, for the spread claims.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import exec from 'k6/execution';
import { Counter, Rate } from 'k6/metrics';
import { PRODUCT_PATH } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('lb', __ENV);

export const options: Options = planned;

const sticky = new Rate('lb_sticky');
const errors = new Rate('errors');
// No HTTP response (dial, reset): the network's failure, counted on its own row, not in the shares.
const infra = new Counter('infra_noise');
let firstPod: string | undefined;

export function users(): void {
  const user = `user-${(exec.vu.idInTest - 1) % expect.users}`;
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: { ...target.headers, [expect.hashHeader]: user }, tags: { user } });
  const c = classify(asResponseLike(res));
  infra.add(c.infraNoise ? 1 : 0);
  if (c.infraNoise) return;
  errors.add(!c.ok);
  if (!c.ok || !c.pod) return;
  firstPod ??= c.pod;
  sticky.add(c.pod === firstPod);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

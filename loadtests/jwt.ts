// jwt: no token is refused by the authorization policy (403), a forged one by the JWT filter
// (401), and a token the users service issued passes (2xx).
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Rate } from 'k6/metrics';
import { FORGED_JWT, TOKEN_PATH, TOKEN_REQUEST_BODY, tokenOf } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('jwt', __ENV);

export const options: Options = planned;

const none403 = new Rate('jwt_none_403');
const forged401 = new Rate('jwt_forged_401');
const valid2xx = new Rate('jwt_valid_2xx');

export function setup(): { token: string } {
  const res = http.post(`${target.baseUrl}${TOKEN_PATH}`, TOKEN_REQUEST_BODY, { headers: { ...target.headers, 'Content-Type': 'application/json' } });
  const token = tokenOf(asResponseLike(res).body);
  if (!token) throw new Error(`POST ${TOKEN_PATH} gave ${res.status}, no token: ${String(res.body).slice(0, 200)}`);
  return { token };
}

const call = (auth?: string) => http.get(`${target.baseUrl}${expect.path}`, { headers: { ...target.headers, ...(auth ? { Authorization: `Bearer ${auth}` } : {}) } });

export function none(): void {
  none403.add(call().status === 403);
}

export function forged(): void {
  forged401.add(call(FORGED_JWT).status === 401);
}

export function valid(data: { token: string }): void {
  valid2xx.add(classify(asResponseLike(call(data.token))).ok);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

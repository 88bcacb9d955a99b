// jwt: no token is refused by the authorization policy (403), a forged one by the JWT filter
// (401), and a token the users service issued passes (2xx).
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify, type Classified } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Counter, Rate } from 'k6/metrics';
import { FORGED_JWT, TOKEN_PATH, TOKEN_REQUEST_BODY, tokenOf } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('jwt', __ENV);

export const options: Options = planned;

const none403 = new Rate('jwt_none_403');
const forged401 = new Rate('jwt_forged_401');
const valid2xx = new Rate('jwt_valid_2xx');
// No HTTP response (dial, reset): the network's failure, counted on its own row, not in the shares.
const infra = new Counter('infra_noise');

export function setup(): { token: string } {
  const res = http.post(`${target.baseUrl}${TOKEN_PATH}`, TOKEN_REQUEST_BODY, { headers: { ...target.headers, 'Content-Type': 'application/json' } });
  const token = tokenOf(asResponseLike(res).body);
  if (!token) throw new Error(`POST ${TOKEN_PATH} gave ${res.status}, no token: ${String(res.body).slice(0, 200)}`);
  return { token };
}

/** The mesh's answer to a call, or undefined when the network gave none (counted as noise). */
function call(auth?: string): Classified | undefined {
  const c = classify(asResponseLike(http.get(`${target.baseUrl}${expect.path}`, { headers: { ...target.headers, ...(auth ? { Authorization: `Bearer ${auth}` } : {}) } })));
  infra.add(c.infraNoise ? 1 : 0);
  return c.infraNoise ? undefined : c;
}

export function none(): void {
  const c = call();
  if (c) none403.add(c.status === 403);
}

export function forged(): void {
  const c = call(FORGED_JWT);
  if (c) forged401.add(c.status === 401);
}

export function valid(data: { token: string }): void {
  const c = call(data.token);
  if (c) valid2xx.add(c.ok);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

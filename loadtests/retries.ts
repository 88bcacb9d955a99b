// retries: payments fails a share of charges; mesh retries keep orders succeeding, and the
// idempotency key keeps the ledger at exactly one charge per order.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';
import { LEDGER_PATH, PLACE_ORDER_PATH, TOKEN_PATH, TOKEN_REQUEST_BODY, bearerHeader, chargeCount, orderBody, orderIdOf, tokenOf } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('retries', __ENV);

export const options: Options = planned;

const orderOk = new Rate('retries_order_ok');
const oneCharge = new Rate('retries_one_charge');

// Orders acts for the token's user, so the script signs in once, as a real client would.
export function setup(): { token: string } {
  const res = http.post(`${target.baseUrl}${TOKEN_PATH}`, TOKEN_REQUEST_BODY, { headers: { ...target.headers, 'Content-Type': 'application/json' } });
  const token = tokenOf(asResponseLike(res).body);
  if (!token) throw new Error(`POST ${TOKEN_PATH} gave ${res.status}, no token: ${String(res.body).slice(0, 200)}`);
  return { token };
}

export function orders(data: { token: string }): void {
  const key = `k6-${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${Date.now()}`;
  const res = http.post(`${target.baseUrl}${PLACE_ORDER_PATH}`, orderBody(), {
    headers: { ...target.headers, ...bearerHeader(data.token), 'Content-Type': 'application/json', 'Idempotency-Key': key },
    tags: { name: PLACE_ORDER_PATH },
  });
  const c = classify(asResponseLike(res));
  orderOk.add(c.ok);
  const id = c.ok ? orderIdOf(asResponseLike(res).body) : undefined;
  if (!id) return;
  const ledger = http.get(`${target.baseUrl}${LEDGER_PATH(id)}`, { headers: target.headers, tags: { name: 'ledger' } });
  const count = ledger.status === 200 ? chargeCount(asResponseLike(ledger).body) : undefined;
  if (count !== undefined) oneCharge.add(count === 1);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

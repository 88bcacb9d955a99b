// mirror: clients only ever see the routed version; the runner reads the mirror target's own
// request counter afterwards to prove the copies arrived.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Counter, Rate } from 'k6/metrics';
import { PRODUCT_PATH } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('mirror', __ENV);

export const options: Options = planned;

const routeVersion = new Rate('mirror_route_version');
const sent = new Counter('mirror_sent');

export function traffic(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers });
  sent.add(1);
  const c = classify(asResponseLike(res));
  routeVersion.add(c.version === expect.routeVersion);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

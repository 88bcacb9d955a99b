// mirror: clients only ever see the routed version; the runner reads the mirror target's own
// request counter afterwards, against the primaries that were served (only those are sure to be copied).
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
const served = new Counter('mirror_sent');
const primaries = new Counter('mirror_primaries');
// No HTTP response (dial, reset): the network's failure, counted on its own row, not in the shares.
const infra = new Counter('infra_noise');

export function traffic(): void {
  const res = http.get(`${target.baseUrl}${PRODUCT_PATH}`, { headers: target.headers });
  primaries.add(1);
  const c = classify(asResponseLike(res));
  infra.add(c.infraNoise ? 1 : 0);
  if (c.infraNoise) return;
  if (c.ok) served.add(1);
  routeVersion.add(c.version === expect.routeVersion);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

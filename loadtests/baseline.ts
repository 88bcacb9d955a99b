// baseline: every gateway route answers 2xx and the error rate stays under 1%.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('baseline', __ENV);

export const options: Options = planned;

const routeOk = new Rate('route_ok');
const errors = new Rate('errors');

export function routes(): void {
  const route = expect.routes[exec.scenario.iterationInTest % expect.routes.length]!;
  const res = http.get(`${target.baseUrl}${route.path}`, { headers: target.headers, tags: { name: route.prefix } });
  const c = classify(asResponseLike(res));
  routeOk.add(c.ok, { route: route.name });
  errors.add(!c.ok);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

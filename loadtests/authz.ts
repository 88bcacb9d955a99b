// authz: runs in-cluster as one Job per ServiceAccount (ROLE). Each edge the policies allow
// answers 2xx; every other edge answers 403 "RBAC: access denied".
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Counter, Rate } from 'k6/metrics';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, role, options: planned } = scenarioSetup('authz', __ENV);

export const options: Options = planned;

const asExpected = new Rate('authz_as_expected');
// No HTTP response (dial, reset): the network's failure, counted on its own row, not in the shares.
const infra = new Counter('infra_noise');
const mine = expect.edges.filter((e) => e.from === role);

export function edges(): void {
  for (const edge of mine) {
    const res = http.get(`http://${edge.to}.${expect.namespace}.svc.cluster.local:8080${edge.path}`, { timeout: '5s', tags: { edge: `${edge.from}-${edge.to}` } });
    const c = classify(asResponseLike(res));
    infra.add(c.infraNoise ? 1 : 0);
    if (!c.infraNoise) asExpected.add(edge.allowed ? c.ok : c.rbacDenied, { edge: `${edge.from}-${edge.to}` });
  }
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

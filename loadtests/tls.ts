// tls: plain HTTP answers 301. The HTTPS half (2xx with the certificate verified against the sandbox
// CA) is sent by the runner: Go on macOS ignores SSL_CERT_FILE, while Node verifies with the CA it is
// given on every OS.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Counter, Rate } from 'k6/metrics';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('tls', __ENV);

export const options: Options = planned;

const httpRedirect = new Rate('tls_http_redirect');
// No HTTP response (dial, reset): the network's failure, counted on its own row, not in the shares.
const infra = new Counter('infra_noise');
const httpUrl = __ENV.HTTP_URL ?? target.baseUrl;

export function http_(): void {
  const c = classify(asResponseLike(http.get(`${httpUrl}/`, { headers: { Host: expect.host }, redirects: 0 })));
  infra.add(c.infraNoise ? 1 : 0);
  if (!c.infraNoise) httpRedirect.add(c.status === 301);
}
export { http_ as http };

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

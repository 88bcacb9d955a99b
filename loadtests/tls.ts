// tls: HTTPS answers 2xx with the certificate verified against the sandbox CA (SSL_CERT_FILE),
// and plain HTTP answers 301.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Rate } from 'k6/metrics';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('tls', __ENV);

export const options: Options = planned;

const httpsOk = new Rate('tls_https_ok');
const httpRedirect = new Rate('tls_http_redirect');
const httpUrl = __ENV.HTTP_URL ?? 'http://127.0.0.1:8080';

export function https(): void {
  httpsOk.add(classify(asResponseLike(http.get(`${target.baseUrl}/`, { headers: target.headers }))).ok);
}

export function http_(): void {
  const res = http.get(`${httpUrl}/`, { headers: { Host: expect.host }, redirects: 0 });
  httpRedirect.add(res.status === 301);
}
export { http_ as http };

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

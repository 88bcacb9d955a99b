// The scenarios `npm run scenario` knows: one overlay and one k6 script each, and how load is sent.
import type { ScenarioName } from '../../../loadtests/lib/expectations.ts';
import { SCENARIO_NAMES } from '../../../loadtests/lib/expectations.ts';

export type LoadMode = 'gateway' | 'gateway-https' | 'in-cluster';

export const CATALOGUE: Record<ScenarioName, { summary: string; mode: LoadMode }> = {
  baseline: { summary: 'routes for / and /api/*, all traffic on v1; every route answers 2xx', mode: 'gateway' },
  canary: { summary: 'products weighted v1/v2; the v2 share sits in the band around the weight', mode: 'gateway' },
  ab: { summary: 'a header match sends beta users to v2, everyone else to v1', mode: 'gateway' },
  fault: { summary: 'products delayed for a share and aborted for another share', mode: 'gateway' },
  timeout: { summary: 'a slow service behind a route timeout fails fast with 504', mode: 'gateway' },
  retries: { summary: 'flaky payments, retries on 5xx; orders succeed, one charge per order', mode: 'gateway' },
  breaker: { summary: 'a 1/1/1 connection pool overflows; outlier detection ejects a failing pod', mode: 'gateway' },
  mirror: { summary: 'all traffic on v1, mirrored to v2; v2 counts the copies', mode: 'gateway' },
  mtls: { summary: 'STRICT mTLS; in-mesh calls succeed, a legacy plaintext client is refused', mode: 'in-cluster' },
  jwt: { summary: 'no token 403, forged token 401, issued token 2xx', mode: 'gateway' },
  authz: { summary: 'deny by default, allow the real call graph; denied edges get RBAC 403', mode: 'in-cluster' },
  tls: { summary: 'HTTPS with a cert-manager certificate verified against the sandbox CA; HTTP redirects', mode: 'gateway-https' },
  ratelimit: { summary: 'a local token bucket on products; the 429 share follows the limit', mode: 'gateway' },
  lb: { summary: 'consistent hashing on a user header; each user stays on one pod', mode: 'gateway' },
};

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export function listText(): string {
  const width = Math.max(...SCENARIO_NAMES.map((n) => n.length));
  return SCENARIO_NAMES.map((n) => `  ${n.padEnd(width)}  ${CATALOGUE[n].summary}`).join('\n');
}

// mtls: runs in-cluster. ROLE=mesh runs inside the mesh (sidecar, mTLS); ROLE=legacy runs in a
// namespace without sidecars, whose plaintext calls STRICT mode must refuse.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { classify } from './lib/classify.ts';
import { asResponseLike } from './lib/target.ts';
import { summaryOutputs } from './lib/verdict.ts';
import { Rate } from 'k6/metrics';
import { serviceUrl } from './lib/endpoints.ts';
import { scenarioSetup } from './lib/setup.ts';

const { expect, target, options: planned } = scenarioSetup('mtls', __ENV);

export const options: Options = planned;

const meshOk = new Rate('mtls_mesh_ok');
const legacyOk = new Rate('mtls_legacy_ok');
const url = serviceUrl(expect.service, expect.meshNamespace);

export function mesh(): void {
  meshOk.add(classify(asResponseLike(http.get(url, { timeout: '5s' }))).ok);
}

export function legacy(): void {
  legacyOk.add(classify(asResponseLike(http.get(url, { timeout: '2s' }))).ok);
}

export function handleSummary(data: unknown): Record<string, string> {
  return summaryOutputs(data, __ENV.SUMMARY_PATH);
}

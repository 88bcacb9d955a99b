// The `k6 run` command line for a host-side run: expectations and targets go in through -e, the
// JSON summary to the report folder (handleSummary writes it), the HTML report through k6's web
// dashboard export.
import path from 'node:path';
import type { Expectations } from '../../../loadtests/lib/expectations.ts';

export interface K6RunSpec {
  script: string;
  expectations: Expectations;
  reportDir: string;
  /** Extra __ENV values (BASE_URL, HOST_HEADER, RESOLVE, HTTP_URL, ROLE). */
  env?: Record<string, string>;
}

export function summaryPath(reportDir: string, role?: string): string {
  return path.join(reportDir, role ? `k6-summary-${role}.json` : 'k6-summary.json');
}

export function k6RunArgs(spec: K6RunSpec): string[] {
  const env: Record<string, string> = {
    SHOPMESH_EXPECT: JSON.stringify(spec.expectations),
    SUMMARY_PATH: summaryPath(spec.reportDir),
    ...spec.env,
  };
  return ['run', '--summary-mode=compact', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), spec.script];
}

/** Process environment for k6: the HTML report, and the CA for TLS checks (Go reads SSL_CERT_FILE). */
export function k6ProcessEnv(reportDir: string, caFile?: string): Record<string, string> {
  return {
    K6_WEB_DASHBOARD: 'true',
    K6_WEB_DASHBOARD_EXPORT: path.join(reportDir, 'k6-report.html'),
    K6_WEB_DASHBOARD_PORT: '-1',
    ...(caFile ? { SSL_CERT_FILE: caFile } : {}),
  };
}

/** k6 exit codes: 0 all thresholds held, 99 some failed; anything else means the run itself broke. */
export function k6Outcome(code: number): 'passed' | 'thresholds-failed' | 'broken' {
  return code === 0 ? 'passed' : code === 99 ? 'thresholds-failed' : 'broken';
}

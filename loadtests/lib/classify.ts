// What a response tells us about the mesh: which version and pod answered, and whether Envoy
// (not the app) produced it. k6 gives header names in canonical case, fetch in lower case, so
// lookups ignore case.

export interface ResponseLike {
  /** 0 when the connection failed (k6's convention). */
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body?: string | null;
  /** k6's error_code when no response came (status 0): 11xx DNS, 12xx TCP dial/reset, 13xx TLS. */
  errorCode?: number;
}

/**
 * Failures that are not the mesh's answer: no HTTP response at all, because a DNS lookup, a TCP dial
 * or the connection failed (k6 error codes 1100–1299: DNS, dial, refused, reset, broken pipe). TLS
 * errors (13xx) and timeouts (1050) stay the mesh's answer: a bad certificate or a hang is a finding.
 */
export function isInfraNoise(res: ResponseLike): boolean {
  return res.status === 0 && res.errorCode !== undefined && res.errorCode >= 1100 && res.errorCode < 1300;
}

export type ResponseKind =
  | 'ok'
  | 'redirect'
  | 'overloaded'
  | 'fault-abort'
  | 'rbac-denied'
  | 'jwt-rejected'
  | 'rate-limited'
  | 'timeout'
  | 'connection-failed'
  | 'error';

export interface Classified {
  kind: ResponseKind;
  status: number;
  ok: boolean;
  service?: string;
  version?: string;
  pod?: string;
  overloaded: boolean;
  faultAbort: boolean;
  rbacDenied: boolean;
  /** No response, for a reason outside the mesh (see isInfraNoise). */
  infraNoise: boolean;
}

export const FAULT_ABORT_BODY = 'fault filter abort';
export const RBAC_DENIED_BODY = 'RBAC: access denied';

export function header(headers: ResponseLike['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export function classify(res: ResponseLike): Classified {
  const body = res.body ?? '';
  const overloaded = header(res.headers, 'x-envoy-overloaded') === 'true';
  const faultAbort = body.includes(FAULT_ABORT_BODY);
  const rbacDenied = res.status === 403 && body.includes(RBAC_DENIED_BODY);
  const service = header(res.headers, 'x-service');
  const version = header(res.headers, 'x-service-version');
  const pod = header(res.headers, 'x-pod');
  const ok = res.status >= 200 && res.status < 300;
  let kind: ResponseKind;
  if (res.status === 0) kind = 'connection-failed';
  else if (ok) kind = 'ok';
  else if (res.status >= 300 && res.status < 400) kind = 'redirect';
  else if (faultAbort) kind = 'fault-abort';
  else if (overloaded) kind = 'overloaded';
  else if (rbacDenied) kind = 'rbac-denied';
  else if (res.status === 401) kind = 'jwt-rejected';
  else if (res.status === 429) kind = 'rate-limited';
  else if (res.status === 504) kind = 'timeout';
  else kind = 'error';
  return {
    kind,
    status: res.status,
    ok,
    overloaded,
    faultAbort,
    rbacDenied,
    infraNoise: isInfraNoise(res),
    ...(service !== undefined ? { service } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(pod !== undefined ? { pod } : {}),
  };
}

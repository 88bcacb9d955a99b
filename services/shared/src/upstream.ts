// The keep-alive HTTP client every upstream module is built on: one undici Pool per upstream origin,
// a deadline on every call, the propagated headers, and no retries (the mesh's retries are what the
// scenarios show). Failures become UpstreamErrors, which errors.ts renders as 502/503/504.
import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError } from './errors.ts';
import type { ForwardHeaders } from './propagation.ts';

export type UpstreamFailure = 'upstream_unavailable' | 'upstream_timeout' | 'upstream_error';

const FAILURE_STATUS: Readonly<Record<UpstreamFailure, ContentfulStatusCode>> = {
  upstream_unavailable: 503,
  upstream_timeout: 504,
  upstream_error: 502,
};

export class UpstreamError extends HttpError {
  readonly upstream: string;
  readonly failure: UpstreamFailure;
  /** The upstream's own status, when it answered. */
  readonly upstreamStatus: number | undefined;
  /** The `error.code` of the upstream's JSON error body, when the service itself (not a proxy) answered. */
  readonly upstreamCode: string | undefined;
  /** Which service answered (`x-service`), when the answer carried it. */
  readonly answeredBy: string | undefined;
  /** True only when the connection was refused: the request never left, so the upstream did nothing. */
  readonly neverSent: boolean;
  /** The identity headers (`x-service-version`, `x-pod`) of a failing answer, when it carried them. */
  readonly served: { version: string; pod: string } | undefined;
  constructor(
    upstream: string,
    failure: UpstreamFailure,
    message: string,
    options?: { cause?: unknown; upstreamStatus?: number; upstreamCode?: string; answeredBy?: string; neverSent?: boolean; served?: { version: string; pod: string } },
  ) {
    super(FAILURE_STATUS[failure], failure, message, options);
    this.name = 'UpstreamError';
    this.upstream = upstream;
    this.failure = failure;
    this.upstreamStatus = options?.upstreamStatus;
    this.upstreamCode = options?.upstreamCode;
    this.answeredBy = options?.answeredBy;
    this.neverSent = options?.neverSent ?? false;
    this.served = options?.served;
  }
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Usually pickForwardHeaders() output plus call-specific headers such as idempotency-key. */
  headers?: ForwardHeaders | Record<string, string>;
  json?: unknown;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: unknown;
}

export interface UpstreamClient {
  readonly name: string;
  readonly baseUrl: string;
  /** Resolves for 1xx–4xx answers; rejects with UpstreamError for 5xx, timeouts and connection failures. */
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface UpstreamClientOptions {
  name: string;
  baseUrl: string;
  timeoutMs: number;
  /** Most sockets kept open to this upstream. */
  connections?: number;
  /** Largest response body accepted. */
  maxResponseBytes?: number;
}

const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Classifies a thrown error from undici into one of the three failures. */
export function classifyFailure(error: unknown, timedOut: boolean): UpstreamFailure {
  if (timedOut) return 'upstream_timeout';
  const err = error as { name?: string; code?: string; cause?: { code?: string } } | null;
  if (err?.name === 'TimeoutError' || err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT') return 'upstream_timeout';
  const code = err?.code ?? err?.cause?.code;
  if (code !== undefined && CONNECTION_FAILURES.has(code)) return 'upstream_unavailable';
  return 'upstream_error';
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const { name, timeoutMs } = options;
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  const pool = new Pool(options.baseUrl, {
    connections: options.connections ?? 128,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: timeoutMs },
    maxResponseSize: maxResponseBytes,
  });

  const request = async (req: UpstreamRequest): Promise<UpstreamResponse> => {
    const deadline = req.timeoutMs ?? timeoutMs;
    // A timer cleared when the call ends, rather than AbortSignal.timeout(): that one stays in the
    // timer list for the whole deadline after every call, and fires for each (two per order read).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException(`${name} did not answer within ${deadline} ms`, 'TimeoutError')), deadline);
    timer.unref();
    const signal = controller.signal;
    let headers: Record<string, string> = (req.headers ?? {}) as Record<string, string>;
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers = { ...headers, 'content-type': 'application/json' };
    }
    try {
      const res = await pool.request({ method: req.method, path: req.path, headers, body, signal });
      if (res.statusCode >= 500) {
        const answeredBy = typeof res.headers['x-service'] === 'string' ? res.headers['x-service'] : undefined;
        const version = res.headers['x-service-version'];
        const pod = res.headers['x-pod'];
        const served = typeof version === 'string' || typeof pod === 'string' ? { version: typeof version === 'string' ? version : '', pod: typeof pod === 'string' ? pod : '' } : undefined;
        const upstreamCode = answeredBy ? errorCodeOf(await res.body.text().catch(() => '')) : (await res.body.dump().catch(() => undefined), undefined);
        // A 504 from the upstream (or its sidecar's route timeout) stays a timeout along the chain.
        const failure: UpstreamFailure = res.statusCode === 504 ? 'upstream_timeout' : 'upstream_error';
        throw new UpstreamError(name, failure, `${name} answered ${res.statusCode}`, { upstreamStatus: res.statusCode, upstreamCode, answeredBy, served });
      }
      const contentType = res.headers['content-type'];
      const isJson = typeof contentType === 'string' && contentType.includes('json');
      let parsed: unknown;
      if (isJson) {
        const text = await res.body.text();
        if (text !== '') {
          try {
            parsed = JSON.parse(text);
          } catch (error) {
            throw new UpstreamError(name, 'upstream_error', `${name} sent malformed JSON`, { cause: error, upstreamStatus: res.statusCode });
          }
        }
      } else {
        await res.body.dump();
      }
      return { status: res.statusCode, headers: res.headers, body: parsed };
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      const failure = classifyFailure(error, signal.aborted);
      const message =
        failure === 'upstream_timeout'
          ? `${name} did not answer within ${deadline} ms`
          : failure === 'upstream_unavailable'
            ? `${name} is unavailable`
            : `${name} call failed`;
      const err = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
      const neverSent = !signal.aborted && (err?.code ?? err?.cause?.code) === 'ECONNREFUSED';
      throw new UpstreamError(name, failure, message, { cause: error, neverSent });
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name,
    baseUrl: options.baseUrl,
    request,
    close: () => pool.close(),
  };
}

/** `error.code` of a `{"error":{"code"}}` body, if it is one. */
function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' && code.length <= 100 ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Throws upstream_error when an upstream answered with a body that is not what the contract says. */
export function unexpectedAnswer(upstream: string, status: number, what: string): UpstreamError {
  return new UpstreamError(upstream, 'upstream_error', `${upstream} answered ${status} with ${what}`, { upstreamStatus: status });
}

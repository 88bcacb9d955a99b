// The keep-alive HTTP client every upstream module is built on: one node:http Agent per upstream origin,
// a deadline on every call, the propagated headers, and no retries (the mesh's retries are what the
// scenarios show). Failures become UpstreamErrors, which errors.ts renders as 502/503/504.
import http, { type IncomingHttpHeaders } from 'node:http';
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

const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** A body longer than the client's maxResponseBytes: the call fails rather than keep a truncated body. */
const tooLarge = (message: string) => Object.assign(new Error(message), { code: 'RESPONSE_TOO_LARGE' });

/** Classifies an error thrown by a call (node:http's, or the client's own) into one of the three failures. */
export function classifyFailure(error: unknown): UpstreamFailure {
  const err = error as { name?: string; code?: string; cause?: { code?: string } } | null;
  if (err?.name === 'TimeoutError') return 'upstream_timeout';
  const code = err?.code ?? err?.cause?.code;
  if (code !== undefined && CONNECTION_FAILURES.has(code)) return 'upstream_unavailable';
  return 'upstream_error';
}

/**
 * Whether an answer's body is read: a failing answer's only when the service itself answered (for
 * its error code), a success's only when it is JSON. Anything else is drained, so the socket serves
 * the next call.
 */
function bodyWanted(status: number, headers: IncomingHttpHeaders): boolean {
  if (status >= 500) return typeof headers['x-service'] === 'string';
  const type = headers['content-type'];
  return typeof type === 'string' && type.includes('json');
}

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text when it was read, undefined when it was drained unread. */
  text: string | undefined;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const { name, timeoutMs } = options;
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  const origin = new URL(options.baseUrl);
  // node:https (and TLS with it) is loaded only for an https upstream: in the mesh the sidecar does TLS.
  const transport: Pick<typeof http, 'Agent' | 'request'> = origin.protocol === 'https:' ? process.getBuiltinModule('node:https') : http;
  // node:http's keep-alive Agent rather than an npm HTTP client: node:http is loaded for the server
  // anyway, so the client costs no memory of its own (undici's Pool added 4 MB to orders' idle
  // RSS) and about the same CPU per call. The agent honours the upstream's
  // `Keep-Alive: timeout=` hint, so it does not reuse a socket the server is about to close.
  const agent = new transport.Agent({ keepAlive: true, maxSockets: options.connections ?? 128, scheduling: 'lifo' });
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  /** One exchange: resolves with the answer (its body read only when bodyWanted() says so), or rejects. */
  const exchange = (req: UpstreamRequest, headers: Record<string, string>, body: string | undefined, deadline: number) =>
    new Promise<RawAnswer>((resolve, reject) => {
      const call = transport.request({ agent, protocol: origin.protocol, hostname: origin.hostname, port: origin.port, method: req.method, path: req.path, headers });
      // The request and its response may both report one failure; the promise keeps the first.
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      const succeed = (answer: RawAnswer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      /** Ends the call with this error, whatever the socket reports while it goes. */
      const abandon = (error: Error) => {
        fail(error);
        call.destroy();
      };
      // A timer for the whole call (connect, send, wait, read), cleared when it ends.
      const timer = setTimeout(() => abandon(new DOMException(`${name} did not answer within ${deadline} ms`, 'TimeoutError')), deadline);
      timer.unref();
      call.on('error', fail);
      call.once('response', (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', fail);
        if (!bodyWanted(status, res.headers)) {
          res.once('end', () => succeed({ status, headers: res.headers, text: undefined }));
          res.resume();
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (declared > maxResponseBytes) return abandon(tooLarge(`${name} announced ${declared} bytes`));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) abandon(tooLarge(`${name} sent more than ${maxResponseBytes} bytes`));
          else chunks.push(chunk);
        });
        res.once('end', () => succeed({ status, headers: res.headers, text: Buffer.concat(chunks, size).toString('utf8') }));
      });
      call.end(body);
    });

  const request = async (req: UpstreamRequest): Promise<UpstreamResponse> => {
    const deadline = req.timeoutMs ?? timeoutMs;
    if (closed) throw new UpstreamError(name, 'upstream_unavailable', `${name} client is closed`, { neverSent: true });
    let headers: Record<string, string> = (req.headers ?? {}) as Record<string, string>;
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers = { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    }
    let answer: RawAnswer;
    const pending = exchange(req, headers, body, deadline);
    inFlight.add(pending);
    try {
      answer = await pending;
    } catch (error) {
      const failure = classifyFailure(error);
      const message =
        failure === 'upstream_timeout'
          ? `${name} did not answer within ${deadline} ms`
          : failure === 'upstream_unavailable'
            ? `${name} is unavailable`
            : `${name} call failed`;
      const err = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
      // A deadline's error is the client's own TimeoutError, never a refusal.
      const neverSent = (err?.code ?? err?.cause?.code) === 'ECONNREFUSED';
      throw new UpstreamError(name, failure, message, { cause: error, neverSent });
    } finally {
      inFlight.delete(pending);
    }
    const { status, headers: got, text } = answer;
    if (status >= 500) {
      const answeredBy = typeof got['x-service'] === 'string' ? got['x-service'] : undefined;
      const version = got['x-service-version'];
      const pod = got['x-pod'];
      const served = typeof version === 'string' || typeof pod === 'string' ? { version: typeof version === 'string' ? version : '', pod: typeof pod === 'string' ? pod : '' } : undefined;
      // The body was read exactly when the service itself answered (bodyWanted).
      const upstreamCode = answeredBy !== undefined ? errorCodeOf(text ?? '') : undefined;
      // A 504 from the upstream (or its sidecar's route timeout) stays a timeout along the chain.
      const failure: UpstreamFailure = status === 504 ? 'upstream_timeout' : 'upstream_error';
      throw new UpstreamError(name, failure, `${name} answered ${status}`, { upstreamStatus: status, upstreamCode, answeredBy, served });
    }
    let parsed: unknown;
    if (text !== undefined && text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new UpstreamError(name, 'upstream_error', `${name} sent malformed JSON`, { cause: error, upstreamStatus: status });
      }
    }
    return { status, headers: got, body: parsed };
  };

  return {
    name,
    baseUrl: options.baseUrl,
    request,
    // Like a pool's close: no new calls, the ones under way finish, then the idle sockets go.
    close: async () => {
      closed = true;
      await Promise.allSettled([...inFlight]);
      agent.destroy();
    },
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

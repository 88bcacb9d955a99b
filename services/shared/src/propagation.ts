// THE list of headers forwarded on every upstream call (tracing, request id and the A/B routing
// header). Keeping it in one place is what lets Envoy stitch one trace across services.
import { randomUUID } from 'node:crypto';

export const PROPAGATED_HEADERS = Object.freeze([
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'baggage',
  'x-user-group',
] as const);
export type PropagatedHeader = (typeof PROPAGATED_HEADERS)[number];
export type ForwardHeaders = Partial<Record<PropagatedHeader, string>>;

/** Reads a lower-case header name; undefined when absent. */
export type HeaderReader = (name: string) => string | undefined;

/** A reader over Node's already-parsed IncomingMessage headers (no Headers object built). */
export function nodeHeaderReader(headers: Readonly<Record<string, string | string[] | undefined>>): HeaderReader {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

export function fetchHeaderReader(headers: Headers): HeaderReader {
  return (name) => headers.get(name) ?? undefined;
}

const REQUEST_ID_PATTERN = /^[\w.:\-]{1,200}$/;

/** The incoming x-request-id when it looks sane, otherwise a fresh one. */
export function requestIdFrom(read: HeaderReader): string {
  const incoming = read('x-request-id');
  return incoming !== undefined && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;
const B3_TRACE_ID = /^([\da-f]{16}|[\da-f]{32})$/;

/** Trace id from W3C traceparent, else x-b3-traceid, else the single b3 header. */
export function traceIdFrom(read: HeaderReader): string | undefined {
  const traceparent = read('traceparent');
  if (traceparent !== undefined) {
    const match = TRACEPARENT.exec(traceparent.trim().toLowerCase());
    if (match) return match[1];
  }
  const b3TraceId = read('x-b3-traceid');
  if (b3TraceId !== undefined && B3_TRACE_ID.test(b3TraceId.trim().toLowerCase())) return b3TraceId.trim().toLowerCase();
  const b3 = read('b3');
  if (b3 !== undefined) {
    const first = b3.split('-', 1)[0]!.trim().toLowerCase();
    if (B3_TRACE_ID.test(first)) return first;
  }
  return undefined;
}

/**
 * The headers to forward upstream: every propagated header present on the incoming request, with
 * x-request-id always set (to `requestId`, which the caller generated when it was absent).
 */
export function pickForwardHeaders(read: HeaderReader, requestId: string): ForwardHeaders {
  const picked: ForwardHeaders = {};
  for (const name of PROPAGATED_HEADERS) {
    const value = read(name);
    if (value !== undefined) picked[name] = value;
  }
  picked['x-request-id'] = requestId;
  return picked;
}

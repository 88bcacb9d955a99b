// One error shape for every service: {"error":{"code","message"}}. Clients never see a stack trace;
// unexpected errors are logged with theirs and answered with a generic 500.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from './logging.ts';

export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** An error meant for the client: its status, code and message are sent as they are. */
export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  /** Extra fields for the client, sent inside `error` (e.g. the new price of a price_changed). */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(status: ContentfulStatusCode, code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = options?.details;
  }
}

export const badRequest = (code: string, message: string): HttpError => new HttpError(400, code, message);
export const notFound = (code: string, message: string): HttpError => new HttpError(404, code, message);

/** Renders a JSON error response on the context (so identity headers set earlier are kept). */
export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.json(errorBody(code, message), status);
}

const HONO_EXCEPTION_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

export function createErrorHandler(logger?: Logger): ErrorHandler {
  return (error, c) => {
    if (error instanceof HttpError) {
      if (error.status >= 500) logger?.warn('request failed', { code: error.code, message: error.message, path: c.req.path });
      if (error.details) return c.json({ error: { ...error.details, code: error.code, message: error.message } }, error.status);
      return errorResponse(c, error.status, error.code, error.message);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const status = error.status as ContentfulStatusCode;
      return errorResponse(c, status, HONO_EXCEPTION_CODES[status] ?? 'bad_request', error.message || 'bad request');
    }
    logger?.error('unhandled error', { error, path: c.req.path, method: c.req.method });
    return errorResponse(c, 500, 'internal', 'internal error');
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`);

// One bounded HTTP call for tests: status, headers and the body parsed when it is JSON. Connection
// failures resolve as status 0 with the error code, so a test can assert on them instead of catching.
import { request } from 'undici';

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  /** Sent as it is (for malformed bodies). */
  body?: string | Buffer;
  timeoutMs?: number;
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
  /** The error code when nothing was answered (ECONNREFUSED, UND_ERR_SOCKET, …). */
  error?: string;
  ms: number;
}

export async function call(url: string, options: CallOptions = {}): Promise<CallResult> {
  const started = performance.now();
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await request(url, {
      method: (options.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await res.body.text();
    let json: unknown;
    if (String(res.headers['content-type'] ?? '').includes('json') && text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.statusCode, headers: res.headers, text, json, ms: performance.now() - started };
  } catch (err) {
    const e = err as { code?: string; name?: string; cause?: { code?: string } };
    return { status: 0, headers: {}, text: '', json: undefined, error: e.code ?? e.cause?.code ?? e.name ?? 'error', ms: performance.now() - started };
  }
}

// Request guards for JSON routes: content type (415), size limit (413), well-formed UTF-8 JSON (400),
// no prototype-polluting keys (400), then the zod schema (400). Handlers call readJson() and get a
// typed, validated value or an HttpError.
import type { Context } from 'hono';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { HttpError } from './errors.ts';

// zod/mini leaves issue messages as a bare "Invalid input" until a locale is set; classic zod sets English on
// its own. Set it here (unless someone chose another) so clients keep reading the same messages.
if (!z.config().localeError) z.config(en());

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface ReadJsonOptions {
  maxBytes?: number;
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Reads the body as text, stopping as soon as it passes maxBytes. */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid UTF-8');
  }
}

const tooLarge = (maxBytes: number): HttpError =>
  new HttpError(413, 'payload_too_large', `request body is larger than ${maxBytes} bytes`);

/** JSON.parse that refuses keys able to reach a prototype if the value is ever merged somewhere. */
export function parseJsonSafely(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'request body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
  // A cheap text test first: most bodies never mention these names.
  if (/__proto__|constructor|prototype/.test(text)) rejectForbiddenKeys(value, 0);
  return value;
}

const MAX_DEPTH = 64;

function rejectForbiddenKeys(value: unknown, depth: number): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH) throw new HttpError(400, 'invalid_json', 'request body is nested too deeply');
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new HttpError(400, 'forbidden_key', `key "${key}" is not allowed`);
    rejectForbiddenKeys((value as Record<string, unknown>)[key], depth + 1);
  }
}

/** Describes zod issues in one short line for the client. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses and validates the JSON body of a request. */
export async function readJson<S extends z.ZodMiniType>(c: Context, schema: S, options: ReadJsonOptions = {}): Promise<z.output<S>> {
  if (!isJsonContentType(c.req.header('content-type'))) {
    throw new HttpError(415, 'unsupported_media_type', 'content-type must be application/json');
  }
  const text = await readBodyText(c.req.raw, options.maxBytes ?? DEFAULT_BODY_LIMIT_BYTES);
  const result = schema.safeParse(parseJsonSafely(text));
  if (!result.success) throw new HttpError(400, 'invalid_body', describeIssues(result.error));
  return result.data;
}

/** Validates a path or query value with a schema; 400 naming the parameter otherwise. */
export function parseParam<S extends z.ZodMiniType>(name: string, value: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, 'invalid_parameter', `${name}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

// Reads a small HTML form post: 415 for anything but a form, 413 past the limit, plain string fields only.
import type { Context } from 'hono';
import { HttpError } from '../../../shared/src/errors.ts';
import { readBodyText } from '../../../shared/src/guards.ts';

export const FORM_LIMIT_BYTES = 8 * 1024;

export async function readForm(c: Context): Promise<Record<string, string>> {
  const type = (c.req.header('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'unsupported_media_type', 'Send this form from the shop page.');
  }
  const text = await readBodyText(c.req.raw, FORM_LIMIT_BYTES);
  const fields: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) if (!(key in fields)) fields[key] = value;
  return fields;
}

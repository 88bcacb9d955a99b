// Bounded reads: every list endpoint answers at most `limit` items (default 50, at most 100) after
// an opaque cursor, plus `next_cursor` (null on the last page). Cursors are the store's row order,
// so a page costs one index range scan however large the table is.
import type { Context } from 'hono';
import * as z from 'zod/mini';
import { parseParam } from './guards.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  limit: number;
  /** Rows strictly after this position; 0 for the first page. */
  after: number;
}

const limitSchema = z.pipe(
  z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)),
  z.pipe(z.transform(Number), z.number().check(z.minimum(1, `must be from 1 to ${MAX_PAGE_SIZE}`), z.maximum(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`))),
);
const cursorSchema = z.pipe(z.string().check(z.regex(/^c\d{1,15}$/, 'must be a cursor from a previous page')), z.transform((s) => Number(s.slice(1))));

export function encodeCursor(position: number): string {
  return `c${position}`;
}

/** `?limit=` and `?cursor=`; 400 naming the parameter when either is malformed. */
export function readPage(c: Context): PageRequest {
  const rawLimit = c.req.query('limit');
  const limit = rawLimit === undefined || rawLimit === '' ? DEFAULT_PAGE_SIZE : (parseParam('limit', rawLimit, limitSchema) as number);
  const raw = c.req.query('cursor');
  const after = raw === undefined || raw === '' ? 0 : (parseParam('cursor', raw, cursorSchema) as number);
  return { limit, after };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Builds a page from up to limit + 1 rows fetched after the cursor. */
export function pageOf<T>(rows: readonly T[], limit: number, positionOf: (row: T) => number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null };
}

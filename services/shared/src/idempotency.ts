// Idempotency by key for POST routes that must never act twice (orders, payments): a repeat gets
// the stored result, a concurrent duplicate waits for the first attempt, the same key with a
// different body is a 409, and a failed attempt is forgotten so that a retry can run again.
import type { Context } from 'hono';
import { HttpError } from './errors.ts';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header; 400 when missing or not 1–255 visible ASCII characters. */
export function requireIdempotencyKey(c: Context): string {
  const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
  if (key === undefined || key === '') throw new HttpError(400, 'missing_idempotency_key', 'the Idempotency-Key header is required');
  if (!KEY_PATTERN.test(key)) throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1–255 visible ASCII characters');
  return key;
}

/** JSON with object keys sorted, so equal bodies give equal fingerprints whatever their key order. */
export function fingerprintOf(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export interface IdempotentResult<T> {
  value: T;
  replayed: boolean;
}

export interface IdempotencyStore<T> {
  run(key: string, fingerprint: string, work: () => Promise<T>): Promise<IdempotentResult<T>>;
  size(): number;
}

interface Entry<T> {
  fingerprint: string;
  done: boolean;
  value?: T;
  pending?: Promise<T>;
}

export function createIdempotencyStore<T>(options: { maxEntries?: number } = {}): IdempotencyStore<T> {
  const maxEntries = options.maxEntries ?? 100_000;
  const entries = new Map<string, Entry<T>>();

  const mismatch = () =>
    new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body');

  const run = async (key: string, fingerprint: string, work: () => Promise<T>): Promise<IdempotentResult<T>> => {
    const existing = entries.get(key);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint) throw mismatch();
      if (existing.done) return { value: existing.value as T, replayed: true };
      return { value: await existing.pending!, replayed: true };
    }
    const entry: Entry<T> = { fingerprint, done: false };
    entry.pending = work();
    entries.set(key, entry);
    try {
      entry.value = await entry.pending;
    } catch (error) {
      entries.delete(key);
      throw error;
    }
    entry.done = true;
    entry.pending = undefined;
    if (entries.size > maxEntries) {
      for (const [oldKey, oldEntry] of entries) {
        if (entries.size <= maxEntries) break;
        if (oldEntry.done) entries.delete(oldKey);
      }
    }
    return { value: entry.value, replayed: false };
  };

  return { run, size: () => entries.size };
}

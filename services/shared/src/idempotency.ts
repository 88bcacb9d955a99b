// Idempotency by key for POST routes that must never act twice (orders, payments). A key is stored
// with the fingerprint of its request and the id of what it created, in the service's database and
// in the same transaction as that resource, so it survives restarts and SIGKILL. Keys live for a
// stated TTL (24 h by default) and are never evicted by count. Within the one process, work on a
// key is serialised, so a concurrent duplicate waits for the first attempt and then replays.
import type { Context } from 'hono';
import type { Database } from './database.ts';
import { HttpError } from './errors.ts';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
export const DEFAULT_KEY_TTL_MS = 24 * 3600 * 1000;

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

export const keyReused = (): HttpError =>
  new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body');

export const IDEMPOTENCY_SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
`;

export interface StoredKey {
  fingerprint: string;
  resourceId: string;
}

export interface IdempotencyKeys {
  readonly ttlMs: number;
  /** The live record of a key, or undefined (never used, or expired). */
  lookup(key: string): StoredKey | undefined;
  /** Records a key; call inside the transaction that creates the resource. Replaces an expired record. */
  insert(key: string, fingerprint: string, resourceId: string): void;
  /** Deletes expired keys; returns how many. */
  purgeExpired(): number;
  count(): number;
}

export function createIdempotencyKeys(db: Database, options: { ttlMs?: number; now?: () => number } = {}): IdempotencyKeys {
  const ttlMs = options.ttlMs ?? DEFAULT_KEY_TTL_MS;
  const now = options.now ?? Date.now;
  db.exec(IDEMPOTENCY_SCHEMA);
  const select = db.prepare('SELECT fingerprint, resource_id FROM idempotency_keys WHERE key = ? AND expires_at > ?');
  const upsert = db.prepare(
    'INSERT INTO idempotency_keys (key, fingerprint, resource_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, resource_id = excluded.resource_id, created_at = excluded.created_at, expires_at = excluded.expires_at WHERE idempotency_keys.expires_at <= excluded.created_at',
  );
  const purge = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
  const counter = db.prepare('SELECT count(*) AS n FROM idempotency_keys');
  return {
    ttlMs,
    lookup(key) {
      const row = select.get(key, now()) as { fingerprint: string; resource_id: string } | undefined;
      return row ? { fingerprint: row.fingerprint, resourceId: row.resource_id } : undefined;
    },
    insert(key, fingerprint, resourceId) {
      const at = now();
      const { changes } = upsert.run(key, fingerprint, resourceId, at, at + ttlMs);
      if (Number(changes) === 0) throw keyReused();
    },
    purgeExpired: () => Number(purge.run(now()).changes),
    count: () => Number((counter.get() as { n: number }).n),
  };
}

/** Serialises work per key within the process: a duplicate runs only after the first attempt ended. */
export interface KeyLocks {
  withKey<T>(key: string, work: () => Promise<T>): Promise<T>;
  held(key: string): boolean;
}

export function createKeyLocks(): KeyLocks {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async withKey(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      const run = previous.then(work, work);
      const tail = run.catch(() => undefined);
      tails.set(key, tail);
      try {
        return await run;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    held: (key) => tails.has(key),
  };
}

// The ledger of charges, in the service's SQLite file. A charge and its Idempotency-Key are written
// in one transaction, after checking the caller's deadline in that same synchronous step, so a charge
// exists exactly when its key does, and none is made once the caller (orders) has given up.
import { transaction, type Database } from '../../shared/src/database.ts';
import { deadlineExceeded } from '../../shared/src/deadline.ts';
import { createIdempotencyKeys, keyReused, type IdempotencyKeys } from '../../shared/src/idempotency.ts';
import { pageOf, type Page, type PageRequest } from '../../shared/src/pagination.ts';

export interface Charge {
  id: string;
  orderId: string;
  userId: number;
  amountCents: number;
  currency: 'EUR';
  status: 'succeeded';
  idempotencyKey: string;
  createdAt: string;
}

export type ChargeRequest = Pick<Charge, 'orderId' | 'userId' | 'amountCents' | 'currency'>;

export interface ChargeOutcome {
  charge: Charge;
  replayed: boolean;
}

export interface Ledger {
  readonly keys: IdempotencyKeys;
  /** Charges once per key; replays a repeat; 409 for the key with another body; 504 past the deadline. */
  charge(request: ChargeRequest, idempotencyKey: string, fingerprint: string, deadline?: number): ChargeOutcome;
  list(page: PageRequest, orderId?: string): Page<Charge>;
  get(id: string): Charge | undefined;
  count(): number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS charges (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  order_id TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  amount_cents INTEGER NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS charges_by_order ON charges (order_id, seq);
`;

interface Row {
  seq: number;
  id: string;
  order_id: string;
  user_id: number;
  amount_cents: number;
  currency: string;
  status: string;
  idempotency_key: string;
  created_at: string;
}

const toCharge = (r: Row): Charge => ({
  id: r.id,
  orderId: r.order_id,
  userId: r.user_id,
  amountCents: r.amount_cents,
  currency: r.currency as 'EUR',
  status: r.status as 'succeeded',
  idempotencyKey: r.idempotency_key,
  createdAt: r.created_at,
});

export const SEED_CHARGES: readonly Charge[] = Object.freeze([
  Object.freeze({
    id: 'ch_seed_5001',
    orderId: '5001',
    userId: 1,
    amountCents: 129900,
    currency: 'EUR',
    status: 'succeeded',
    idempotencyKey: 'seed-order-5001',
    createdAt: '2026-01-01T00:00:00.000Z',
  } satisfies Charge),
]);

export interface LedgerOptions {
  now?: () => Date;
  seed?: readonly Charge[];
  keyTtlMs?: number;
}

export function createLedger(db: Database, options: LedgerOptions = {}): Ledger {
  const now = options.now ?? (() => new Date());
  db.exec(SCHEMA);
  const keys = createIdempotencyKeys(db, { ttlMs: options.keyTtlMs, now: () => now().getTime() });
  const insert = db.prepare(
    'INSERT INTO charges (id, order_id, user_id, amount_cents, currency, status, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq',
  );
  const setId = db.prepare('UPDATE charges SET id = ? WHERE seq = ?');
  const bySeq = db.prepare('SELECT * FROM charges WHERE seq = ?');
  const byId = db.prepare('SELECT * FROM charges WHERE id = ?');
  const page = db.prepare('SELECT * FROM charges WHERE seq > ? ORDER BY seq LIMIT ?');
  const pageForOrder = db.prepare('SELECT * FROM charges WHERE order_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  const counter = db.prepare('SELECT count(*) AS n FROM charges');
  const seedOne = db.prepare(
    'INSERT OR IGNORE INTO charges (id, order_id, user_id, amount_cents, currency, status, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const s of options.seed ?? SEED_CHARGES) seedOne.run(s.id, s.orderId, s.userId, s.amountCents, s.currency, s.status, s.idempotencyKey, s.createdAt);

  return {
    keys,
    charge(request, idempotencyKey, fingerprint, deadline) {
      return transaction(db, () => {
        const existing = keys.lookup(idempotencyKey);
        if (existing) {
          if (existing.fingerprint !== fingerprint) throw keyReused();
          return { charge: toCharge(byId.get(existing.resourceId) as unknown as Row), replayed: true };
        }
        const at = now();
        if (deadline !== undefined && at.getTime() >= deadline) throw deadlineExceeded();
        const { seq } = insert.get(`pending-${idempotencyKey}`, request.orderId, request.userId, request.amountCents, request.currency, 'succeeded', idempotencyKey, at.toISOString()) as { seq: number };
        const id = `ch_${String(seq).padStart(6, '0')}`;
        setId.run(id, seq);
        keys.insert(idempotencyKey, fingerprint, id);
        return { charge: toCharge(bySeq.get(seq) as unknown as Row), replayed: false };
      });
    },
    list({ limit, after }, orderId) {
      const rows = (orderId === undefined ? page.all(after, limit + 1) : pageForOrder.all(orderId, after, limit + 1)) as unknown as Row[];
      const result = pageOf(rows, limit, (r) => r.seq);
      return { items: result.items.map(toCharge), nextCursor: result.nextCursor };
    },
    get: (id) => {
      const row = byId.get(id) as unknown as Row | undefined;
      return row ? toCharge(row) : undefined;
    },
    count: () => Number((counter.get() as { n: number }).n),
  };
}

// Orders in the service's SQLite file, seeded with order 5001 (Alice's laptop, the public demo
// record). An order is written as `pending` together with its Idempotency-Key before payments is
// called, then becomes `paid` or `cancelled`; ids come from AUTOINCREMENT, so they never repeat.
import { transaction, type Database } from '../../shared/src/database.ts';
import { createIdempotencyKeys, type IdempotencyKeys } from '../../shared/src/idempotency.ts';
import { pageOf, type Page, type PageRequest } from '../../shared/src/pagination.ts';

export type OrderStatus = 'pending' | 'paid' | 'cancelled';

export interface Order {
  order_id: string;
  user_id: number;
  product_id: number;
  quantity: number;
  unit_price_cents: number;
  total_cents: number;
  currency: 'EUR';
  status: OrderStatus;
  payment_id: string | null;
  created_at: string;
}

/** The public demo record: GET /orders/5001 answers without a token. */
export const DEMO_ORDER_ID = '5001';

export const SEED_ORDERS: readonly Order[] = Object.freeze([
  Object.freeze({
    order_id: DEMO_ORDER_ID,
    user_id: 1,
    product_id: 101,
    quantity: 1,
    unit_price_cents: 129900,
    total_cents: 129900,
    currency: 'EUR',
    status: 'paid',
    payment_id: 'ch_seed_5001',
    created_at: '2026-01-01T00:00:00.000Z',
  } satisfies Order),
]);

export interface NewOrder {
  userId: number;
  productId: number;
  quantity: number;
  unitPriceCents: number;
}

export interface PendingOrder {
  order: Order;
  key: string;
  chargeDeadline: number;
}

export interface OrderStore {
  readonly keys: IdempotencyKeys;
  /** Writes a pending order and its key in one transaction. */
  createPending(order: NewOrder, key: string, fingerprint: string, chargeDeadline: number, now: Date): Order;
  /** The order a key created, with the key's fingerprint, while the key lives. */
  findByKey(key: string): { order: Order; fingerprint: string } | undefined;
  /** Records the deadline sent with the next charge attempt. */
  setChargeDeadline(id: string, deadline: number): void;
  markPaid(id: string, paymentId: string, now: Date): Order;
  markCancelled(id: string, now: Date): Order;
  get(id: string): Order | undefined;
  /** One user's orders, oldest first. */
  listForUser(userId: number, page: PageRequest): Page<Order>;
  /** Pending orders whose last charge deadline is before `cutoff` (Unix ms). */
  pendingBefore(cutoff: number, limit: number): PendingOrder[];
  /** The order with its key and last charge deadline, while it is pending. */
  findPending(id: string): PendingOrder | undefined;
  count(): number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price_cents INTEGER NOT NULL,
  total_cents INTEGER NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
  payment_id TEXT,
  idempotency_key TEXT,
  charge_deadline INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id, id);
CREATE INDEX IF NOT EXISTS orders_pending ON orders (charge_deadline) WHERE status = 'pending';
`;

interface Row {
  id: number;
  user_id: number;
  product_id: number;
  quantity: number;
  unit_price_cents: number;
  total_cents: number;
  currency: string;
  status: string;
  payment_id: string | null;
  idempotency_key: string | null;
  charge_deadline: number | null;
  created_at: string;
}

const toOrder = (r: Row): Order => ({
  order_id: String(r.id),
  user_id: r.user_id,
  product_id: r.product_id,
  quantity: r.quantity,
  unit_price_cents: r.unit_price_cents,
  total_cents: r.total_cents,
  currency: r.currency as 'EUR',
  status: r.status as OrderStatus,
  payment_id: r.payment_id,
  created_at: r.created_at,
});

// Only createPending writes pending orders, always with a key and a deadline.
const toPending = (r: Row): PendingOrder => ({ order: toOrder(r), key: r.idempotency_key ?? '', chargeDeadline: r.charge_deadline ?? 0 });

export function createOrderStore(db: Database, options: { seed?: readonly Order[]; keyTtlMs?: number; now?: () => number } = {}): OrderStore {
  db.exec(SCHEMA);
  const keys = createIdempotencyKeys(db, { ttlMs: options.keyTtlMs, now: options.now });
  const seed = db.prepare(
    'INSERT OR IGNORE INTO orders (id, user_id, product_id, quantity, unit_price_cents, total_cents, currency, status, payment_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const o of options.seed ?? SEED_ORDERS) {
    seed.run(Number(o.order_id), o.user_id, o.product_id, o.quantity, o.unit_price_cents, o.total_cents, o.currency, o.status, o.payment_id, o.created_at, o.created_at);
  }
  const insert = db.prepare(
    "INSERT INTO orders (user_id, product_id, quantity, unit_price_cents, total_cents, currency, status, idempotency_key, charge_deadline, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'EUR', 'pending', ?, ?, ?, ?) RETURNING *",
  );
  const byId = db.prepare('SELECT * FROM orders WHERE id = ?');
  const deadline = db.prepare('UPDATE orders SET charge_deadline = ? WHERE id = ?');
  const paid = db.prepare("UPDATE orders SET status = 'paid', payment_id = ?, updated_at = ? WHERE id = ? AND status = 'pending' RETURNING *");
  const cancelled = db.prepare("UPDATE orders SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'pending' RETURNING *");
  const forUser = db.prepare('SELECT * FROM orders WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?');
  const pending = db.prepare("SELECT * FROM orders WHERE status = 'pending' AND charge_deadline < ? ORDER BY charge_deadline LIMIT ?");
  const pendingById = db.prepare("SELECT * FROM orders WHERE id = ? AND status = 'pending'");
  const counter = db.prepare('SELECT count(*) AS n FROM orders');

  const get = (id: string): Order | undefined => {
    if (!/^\d{1,15}$/.test(id)) return undefined;
    const row = byId.get(Number(id)) as unknown as Row | undefined;
    return row ? toOrder(row) : undefined;
  };
  const settle = (row: Row | undefined, id: string): Order => {
    if (row) return toOrder(row);
    const current = get(id);
    if (!current) throw new Error(`no order ${id}`);
    return current;
  };

  return {
    keys,
    createPending(order, key, fingerprint, chargeDeadline, now) {
      return transaction(db, () => {
        const at = now.toISOString();
        const row = insert.get(order.userId, order.productId, order.quantity, order.unitPriceCents, order.unitPriceCents * order.quantity, key, chargeDeadline, at, at) as unknown as Row;
        keys.insert(key, fingerprint, String(row.id));
        return toOrder(row);
      });
    },
    findByKey(key) {
      const stored = keys.lookup(key);
      if (!stored) return undefined;
      const order = get(stored.resourceId);
      return order ? { order, fingerprint: stored.fingerprint } : undefined;
    },
    setChargeDeadline: (id, at) => void deadline.run(at, Number(id)),
    // A settled order stays as it is: a late duplicate cannot flip paid to cancelled or back.
    markPaid: (id, paymentId, now) => settle(paid.get(paymentId, now.toISOString(), Number(id)) as unknown as Row | undefined, id),
    markCancelled: (id, now) => settle(cancelled.get(now.toISOString(), Number(id)) as unknown as Row | undefined, id),
    get,
    listForUser(userId, { limit, after }) {
      const rows = forUser.all(userId, after, limit + 1) as unknown as Row[];
      const page = pageOf(rows, limit, (r) => r.id);
      return { items: page.items.map(toOrder), nextCursor: page.nextCursor };
    },
    pendingBefore: (cutoff, limit) => (pending.all(cutoff, limit) as unknown as Row[]).map(toPending),
    findPending(id) {
      const row = pendingById.get(Number(id)) as unknown as Row | undefined;
      return row ? toPending(row) : undefined;
    },
    count: () => Number((counter.get() as { n: number }).n),
  };
}

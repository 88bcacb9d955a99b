// Recorded notifications, in the service's SQLite file: every message orders sent, kept for
// RETENTION_DAYS (default 30) and then purged by age, never by count. Reads are paged.
import type { Database } from '../../shared/src/database.ts';
import { pageOf, type Page, type PageRequest } from '../../shared/src/pagination.ts';

export interface Notification {
  id: string;
  orderId?: string;
  userId?: number;
  channel: 'email' | 'sms';
  message: string;
  createdAt: string;
}

export type NotificationRequest = Omit<Notification, 'id' | 'createdAt'>;

export interface Outbox {
  record(request: NotificationRequest): Notification;
  /** Oldest first. */
  list(page: PageRequest, orderId?: string): Page<Notification>;
  /** Deletes notifications older than `before`; returns how many. */
  purgeBefore(before: Date): number;
  count(): number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT,
  user_id INTEGER,
  channel TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS notifications_by_order ON notifications (order_id, seq);
CREATE INDEX IF NOT EXISTS notifications_by_time ON notifications (created_at);
`;

interface Row {
  seq: number;
  order_id: string | null;
  user_id: number | null;
  channel: string;
  message: string;
  created_at: string;
}

const toNotification = (r: Row): Notification => ({
  id: `n_${r.seq}`,
  ...(r.order_id !== null ? { orderId: r.order_id } : {}),
  ...(r.user_id !== null ? { userId: r.user_id } : {}),
  channel: r.channel as Notification['channel'],
  message: r.message,
  createdAt: r.created_at,
});

export function createOutbox(db: Database, now: () => Date = () => new Date()): Outbox {
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO notifications (order_id, user_id, channel, message, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *');
  const page = db.prepare('SELECT * FROM notifications WHERE seq > ? ORDER BY seq LIMIT ?');
  const pageForOrder = db.prepare('SELECT * FROM notifications WHERE order_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  const purge = db.prepare('DELETE FROM notifications WHERE created_at < ?');
  const counter = db.prepare('SELECT count(*) AS n FROM notifications');
  return {
    record(request) {
      const row = insert.get(request.orderId ?? null, request.userId ?? null, request.channel, request.message, now().toISOString()) as unknown as Row;
      return toNotification(row);
    },
    list({ limit, after }, orderId) {
      const rows = (orderId === undefined ? page.all(after, limit + 1) : pageForOrder.all(orderId, after, limit + 1)) as unknown as Row[];
      const result = pageOf(rows, limit, (r) => r.seq);
      return { items: result.items.map(toNotification), nextCursor: result.nextCursor };
    },
    purgeBefore: (before) => Number(purge.run(before.toISOString()).changes),
    count: () => Number((counter.get() as { n: number }).n),
  };
}

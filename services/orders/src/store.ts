// Orders kept in memory, seeded with order 5001 (Alice's laptop).
export interface Order {
  order_id: string;
  user_id: number;
  product_id: number;
  quantity: number;
  total_cents: number;
  currency: 'EUR';
  status: 'paid';
  payment_id: string;
  created_at: string;
}

export const SEED_ORDERS: readonly Order[] = Object.freeze([
  Object.freeze({
    order_id: '5001',
    user_id: 1,
    product_id: 101,
    quantity: 1,
    total_cents: 129900,
    currency: 'EUR',
    status: 'paid',
    payment_id: 'ch_seed_5001',
    created_at: '2026-01-01T00:00:00.000Z',
  } satisfies Order),
]);

export interface OrderStore {
  /** The order id for an Idempotency-Key: the same key always gets the same id, even after a failed attempt. */
  reserveId(idempotencyKey: string): string;
  save(order: Order): void;
  get(id: string): Order | undefined;
  list(userId?: number): Order[];
}

export function createOrderStore(seed: readonly Order[] = SEED_ORDERS, maxReservations = 100_000): OrderStore {
  const orders = new Map(seed.map((o) => [o.order_id, o]));
  const reservations = new Map<string, string>();
  let next = Math.max(5001, ...seed.map((o) => Number(o.order_id))) + 1;
  return {
    reserveId(key) {
      let id = reservations.get(key);
      if (id === undefined) {
        id = String(next++);
        reservations.set(key, id);
        if (reservations.size > maxReservations) reservations.delete(reservations.keys().next().value!);
      }
      return id;
    },
    save: (order) => void orders.set(order.order_id, Object.freeze(order)),
    get: (id) => orders.get(id),
    list: (userId) => [...orders.values()].filter((o) => userId === undefined || o.user_id === userId),
  };
}

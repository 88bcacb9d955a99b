// Every call the storefront makes to orders. Placing an order always carries an Idempotency-Key, so
// a double-submitted form or a mesh retry gives the same order, never a second one.
import * as z from 'zod/mini';
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';
import { servedBy } from '../served.ts';
import type { Answer } from './products.ts';

// Orders answers money in cents (total_cents); the pages show units.
const orderSchema = z.pipe(
  z.looseObject({
    order_id: z.pipe(z.union([z.number().check(z.int()), z.string()]), z.transform(String)),
    user: z.looseObject({ name: z.string() }),
    product: z.looseObject({ name: z.string() }),
    quantity: z.optional(z.number().check(z.int())),
    total_cents: z.optional(z.number().check(z.int(), z.nonnegative())),
    status: z.optional(z.string()),
  }),
  z.transform(({ total_cents, ...rest }) => ({ ...rest, ...(total_cents !== undefined ? { total: total_cents / 100 } : {}) })),
);
const errorSchema = z.looseObject({ error: z.looseObject({ code: z.string(), message: z.string() }) });

export type Order = z.output<typeof orderSchema>;

export interface NewOrder {
  userId: string;
  productId: string;
  quantity: number;
}

/** Orders refused the order (a 4xx): nothing was placed and nothing was charged. */
export class OrderRejected extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'OrderRejected';
    this.status = status;
    this.code = code;
  }
}

export interface OrdersApi {
  /** `data` is null when orders does not know the id. */
  get(id: string, headers: ForwardHeaders): Promise<Answer<Order | null>>;
  create(order: NewOrder, options: { idempotencyKey: string; token?: string; headers: ForwardHeaders }): Promise<Answer<Order>>;
}

export function ordersApi(client: UpstreamClient): OrdersApi {
  return {
    async get(id, headers) {
      const res = await client.request({ method: 'GET', path: `/orders/${encodeURIComponent(id)}`, headers });
      const served = servedBy(client.name, res.headers);
      if (res.status === 404 || res.status === 400) return { data: null, served };
      const parsed = res.status === 200 ? orderSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no order');
      return { data: parsed.data, served };
    },
    async create(order, { idempotencyKey, token, headers }) {
      const res = await client.request({
        method: 'POST',
        path: '/orders',
        headers: { ...headers, 'idempotency-key': idempotencyKey, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        json: { userId: Number(order.userId), productId: Number(order.productId), quantity: order.quantity },
      });
      if (res.status >= 400) {
        const refused = errorSchema.safeParse(res.body);
        const { code, message } = refused.success ? refused.data.error : { code: 'rejected', message: `orders answered ${res.status}` };
        throw new OrderRejected(res.status, code, message);
      }
      const parsed = res.status === 200 || res.status === 201 ? orderSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no order');
      return { data: parsed.data, served: servedBy(client.name, res.headers) };
    },
  };
}

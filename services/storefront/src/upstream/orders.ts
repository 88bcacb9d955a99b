// Every call the storefront makes to orders, always with the signed-in shopper's token. Placing an
// order carries an Idempotency-Key and the unit price the shopper confirmed, so a double-submitted
// form or a mesh retry gives the same order, and the price charged is the price shown.
import * as z from 'zod/mini';
import type { ForwardHeaders } from '../../../shared/src/propagation.ts';
import { unexpectedAnswer, type UpstreamClient } from '../../../shared/src/upstream.ts';
import { servedBy } from '../served.ts';
import type { Answer } from './products.ts';

// Orders answers money in cents (total_cents); the pages show units.
const orderSchema = z.pipe(
  z.looseObject({
    order_id: z.pipe(z.union([z.number().check(z.int()), z.string()]), z.transform(String)),
    user: z.nullable(z.looseObject({ name: z.string() })),
    product: z.nullable(z.looseObject({ name: z.string() })),
    quantity: z.optional(z.number().check(z.int())),
    total_cents: z.optional(z.number().check(z.int(), z.nonnegative())),
    currency: z.optional(z.literal('EUR')),
    status: z.optional(z.string()),
    created_at: z.optional(z.string()),
  }),
  z.transform(({ total_cents, ...rest }) => ({ ...rest, ...(total_cents !== undefined ? { total: total_cents / 100 } : {}) })),
);
const listSchema = z.looseObject({
  orders: z.array(
    z.looseObject({
      order_id: z.pipe(z.union([z.number().check(z.int()), z.string()]), z.transform(String)),
      product_id: z.number(),
      quantity: z.number(),
      total_cents: z.number().check(z.int(), z.nonnegative()),
      currency: z.literal('EUR'),
      status: z.string(),
      created_at: z.string(),
    }),
  ),
  next_cursor: z.nullable(z.string()),
});
const errorSchema = z.looseObject({ error: z.looseObject({ code: z.string(), message: z.string(), unit_price_cents: z.optional(z.number()) }) });

export type Order = z.output<typeof orderSchema>;
export type OrderSummary = z.output<typeof listSchema>['orders'][number];

export interface NewOrder {
  productId: string;
  quantity: number;
  /** The unit price (cents) the shopper saw and confirmed. */
  unitPriceCents: number;
}

/** Orders refused the order with a 4xx; `code` says why (price_changed carries the new unit price). */
export class OrderRejected extends Error {
  readonly status: number;
  readonly code: string;
  readonly unitPriceCents: number | undefined;
  constructor(status: number, code: string, message: string, unitPriceCents?: number) {
    super(message);
    this.name = 'OrderRejected';
    this.status = status;
    this.code = code;
    this.unitPriceCents = unitPriceCents;
  }
}

export interface OrdersApi {
  /** `data` is null when orders does not show the id to this shopper. */
  get(id: string, options: { token?: string; headers: ForwardHeaders }): Promise<Answer<Order | null>>;
  /** The shopper's orders, one page; null when the token was refused. */
  listMine(options: { token: string; cursor?: string; headers: ForwardHeaders }): Promise<Answer<{ orders: OrderSummary[]; nextCursor: string | null } | null>>;
  create(order: NewOrder, options: { idempotencyKey: string; token: string; headers: ForwardHeaders }): Promise<Answer<Order>>;
}

const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

export function ordersApi(client: UpstreamClient): OrdersApi {
  return {
    async get(id, { token, headers }) {
      const res = await client.request({ method: 'GET', path: `/orders/${encodeURIComponent(id)}`, headers: { ...headers, ...bearer(token) } });
      const served = servedBy(client.name, res.headers);
      if (res.status === 404 || res.status === 400 || res.status === 401) return { data: null, served };
      const parsed = res.status === 200 ? orderSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no order');
      return { data: parsed.data, served };
    },
    async listMine({ token, cursor, headers }) {
      const query = `?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await client.request({ method: 'GET', path: `/orders${query}`, headers: { ...headers, ...bearer(token) } });
      const served = servedBy(client.name, res.headers);
      if (res.status === 401) return { data: null, served };
      const parsed = res.status === 200 ? listSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no order list');
      return { data: { orders: parsed.data.orders, nextCursor: parsed.data.next_cursor }, served };
    },
    async create(order, { idempotencyKey, token, headers }) {
      const res = await client.request({
        method: 'POST',
        path: '/orders',
        headers: { ...headers, 'idempotency-key': idempotencyKey, ...bearer(token) },
        json: { productId: Number(order.productId), quantity: order.quantity, unitPriceCents: order.unitPriceCents },
      });
      if (res.status >= 400) {
        const refused = errorSchema.safeParse(res.body);
        const { code, message, unit_price_cents } = refused.success ? refused.data.error : { code: 'rejected', message: `orders answered ${res.status}`, unit_price_cents: undefined };
        throw new OrderRejected(res.status, code, message, unit_price_cents);
      }
      const parsed = res.status === 200 || res.status === 201 ? orderSchema.safeParse(res.body) : undefined;
      if (!parsed?.success) throw unexpectedAnswer(client.name, res.status, 'no order');
      return { data: parsed.data, served: servedBy(client.name, res.headers) };
    },
  };
}

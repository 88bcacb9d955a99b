import { Hono } from 'hono';
import * as z from 'zod/mini';
import { HttpError } from '../../../shared/src/errors.ts';
import { parseParam, readJson } from '../../../shared/src/guards.ts';
import { createIdempotencyStore, fingerprintOf, REPLAYED_HEADER, requireIdempotencyKey } from '../../../shared/src/idempotency.ts';
import type { Logger } from '../../../shared/src/logging.ts';
import { forwardHeaders, type ServiceEnv } from '../../../shared/src/service-app.ts';
import type { OrderStore, Order } from '../store.ts';
import type { NotificationsApi } from '../upstream/notifications.ts';
import type { PaymentsApi } from '../upstream/payments.ts';
import type { ProductsApi, ProductSummary } from '../upstream/products.ts';
import type { UserSummary, UsersApi } from '../upstream/users.ts';

export const MAX_QUANTITY = 10;

export const orderRequestSchema = z.strictObject({
  userId: z.number().check(z.int(), z.positive(), z.maximum(1_000_000_000)),
  productId: z.number().check(z.int(), z.positive(), z.maximum(1_000_000_000)),
  quantity: z.number().check(z.int(), z.positive(), z.maximum(MAX_QUANTITY)),
});

const orderId = z.string().check(z.regex(/^\d{1,12}$/, 'must be a numeric id'));
const userFilter = z.pipe(z.string().check(z.regex(/^\d{1,9}$/, 'must be a numeric user id')), z.transform(Number));

export interface OrderView extends Order {
  user: UserSummary | null;
  product: ProductSummary | null;
}

export interface OrderRoutesDeps {
  store: OrderStore;
  users: UsersApi;
  products: ProductsApi;
  payments: PaymentsApi;
  notifications: NotificationsApi;
  logger: Logger;
  now: () => Date;
}

export function createOrderRoutes(deps: OrderRoutesDeps) {
  const { store, users, products, payments, notifications, logger, now } = deps;
  const placed = createIdempotencyStore<OrderView>();

  return new Hono<ServiceEnv>()
    .get('/orders', (c) => {
      const raw = c.req.query('user');
      const user = raw === undefined ? undefined : parseParam('user', raw, userFilter);
      return c.json({ orders: store.list(user) });
    })
    .get('/orders/:id', async (c) => {
      const id = parseParam('id', c.req.param('id'), orderId);
      const order = store.get(id);
      if (order === undefined) throw new HttpError(404, 'order_not_found', `no order ${id}`);
      const headers = forwardHeaders(c);
      const [user, product] = await Promise.all([users.getUser(order.user_id, headers), products.getProduct(order.product_id, headers)]);
      const view: OrderView = { ...order, user: user ?? null, product: product ?? null };
      return c.json(view);
    })
    .post('/orders', async (c) => {
      const key = requireIdempotencyKey(c);
      const request = await readJson(c, orderRequestSchema);
      const headers = forwardHeaders(c);
      const { value, replayed } = await placed.run(key, fingerprintOf(request), async () => {
        const id = store.reserveId(key);
        const [user, product] = await Promise.all([users.getUser(request.userId, headers), products.getProduct(request.productId, headers)]);
        if (user === undefined) throw new HttpError(400, 'unknown_user', `no user ${request.userId}`);
        if (product === undefined) throw new HttpError(400, 'unknown_product', `no product ${request.productId}`);
        const total = product.priceCents * request.quantity;
        const charge = await payments.charge({ orderId: id, userId: user.id, amountCents: total, currency: 'EUR' }, key, headers);
        const order: Order = {
          order_id: id,
          user_id: user.id,
          product_id: product.id,
          quantity: request.quantity,
          total_cents: total,
          currency: 'EUR',
          status: 'paid',
          payment_id: charge.id,
          created_at: now().toISOString(),
        };
        store.save(order);
        // The order is placed and paid; a failing notifications service must not undo that.
        try {
          await notifications.notify({ orderId: id, userId: user.id, message: `Order ${id} is paid: ${request.quantity} × ${product.name}` }, headers);
        } catch (error) {
          logger.warn('notification failed', { orderId: id, error: (error as Error).message, requestId: c.get('requestId') });
        }
        return { ...order, user, product };
      });
      if (replayed) c.header(REPLAYED_HEADER, 'true');
      return c.json(value, 201);
    });
}

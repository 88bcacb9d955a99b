import { Hono } from 'hono';
import * as z from 'zod/mini';
import { HttpError } from '../../../shared/src/errors.ts';
import { parseParam, readJson } from '../../../shared/src/guards.ts';
import { REPLAYED_HEADER, requireIdempotencyKey } from '../../../shared/src/idempotency.ts';
import { readPage } from '../../../shared/src/pagination.ts';
import { forwardHeaders, type ServiceEnv } from '../../../shared/src/service-app.ts';
import { readShopper, requireShopper, type UserTokenVerifier } from '../../../shared/src/user-tokens.ts';
import type { Placement } from '../placement.ts';
import { DEMO_ORDER_ID, type OrderStore } from '../store.ts';
import type { ProductsApi } from '../upstream/products.ts';
import type { UsersApi } from '../upstream/users.ts';

export const MAX_QUANTITY = 10;
const id = z.number().check(z.int(), z.positive(), z.maximum(1_000_000_000));

export const orderRequestSchema = z.strictObject({
  // Optional and never trusted: the user is the token's; naming another one is a 403.
  userId: z.optional(id),
  productId: id,
  quantity: z.number().check(z.int(), z.positive(), z.maximum(MAX_QUANTITY)),
  unitPriceCents: z.number().check(z.int(), z.nonnegative(), z.maximum(100_000_000)),
});

const orderId = z.string().check(z.regex(/^\d{1,12}$/, 'must be a numeric id'));
const userFilter = z.pipe(z.string().check(z.regex(/^\d{1,9}$/, 'must be a numeric user id')), z.transform(Number));

export interface OrderRoutesDeps {
  store: OrderStore;
  placement: Placement;
  users: UsersApi;
  products: ProductsApi;
  verifier: UserTokenVerifier;
}

const forbiddenUser = () => new HttpError(403, 'forbidden_user', 'a token acts only for its own user');

export function createOrderRoutes(deps: OrderRoutesDeps) {
  const { store, placement, users, products } = deps;
  return new Hono<ServiceEnv>()
    .use('/orders', readShopper(deps.verifier))
    .use('/orders/*', readShopper(deps.verifier))
    .get('/orders', (c) => {
      const shopper = requireShopper(c);
      const raw = c.req.query('user');
      if (raw !== undefined && parseParam('user', raw, userFilter) !== shopper.id) throw forbiddenUser();
      const page = store.listForUser(shopper.id, readPage(c));
      return c.json({ orders: page.items, next_cursor: page.nextCursor });
    })
    .get('/orders/:id', async (c) => {
      const wanted = parseParam('id', c.req.param('id'), orderId);
      const order = store.get(wanted);
      // Order 5001 is the public demo record; any other order is shown to its owner only (404 to
      // anyone else, so ids cannot be probed).
      if (order === undefined || (wanted !== DEMO_ORDER_ID && requireShopper(c).id !== order.user_id)) {
        throw new HttpError(404, 'order_not_found', `no order ${wanted}`);
      }
      const headers = forwardHeaders(c);
      const [user, product] = await Promise.all([users.getUser(order.user_id, headers), products.getProduct(order.product_id, headers)]);
      const shown = product ? { id: product.id, name: product.name, priceCents: product.priceCents, currency: product.currency } : null;
      return c.json({ ...order, user: user ?? null, product: shown });
    })
    .post('/orders', async (c) => {
      const shopper = requireShopper(c);
      const key = requireIdempotencyKey(c);
      const { userId, ...request } = await readJson(c, orderRequestSchema);
      if (userId !== undefined && userId !== shopper.id) throw forbiddenUser();
      const { view, replayed } = await placement.place(shopper, request, key, forwardHeaders(c));
      if (replayed) c.header(REPLAYED_HEADER, 'true');
      return c.json(view, 201);
    });
}

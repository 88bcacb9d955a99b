// The storefront app: server-rendered shop pages and the /mesh live traffic view. No I/O on import;
// every upstream comes in through deps, so tests pass fakes.
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { notFoundHandler } from '../../shared/src/errors.ts';
import type { Logger } from '../../shared/src/logging.ts';
import { describeFailure } from './failures.ts';
import { cartRoutes } from './routes/cart.tsx';
import { checkoutRoutes } from './routes/checkout.tsx';
import { meshRoutes } from './routes/mesh.tsx';
import { orderRoutes } from './routes/orders.tsx';
import { productRoutes } from './routes/products.tsx';
import type { OrdersApi } from './upstream/orders.ts';
import type { ProductsApi } from './upstream/products.ts';
import type { UsersApi } from './upstream/users.ts';
import type { Identity } from './views/layout.tsx';
import { renderErrorPage } from './views/render.tsx';

export interface StorefrontDeps {
  identity: Identity;
  users: UsersApi;
  products: ProductsApi;
  orders: OrdersApi;
  /** The seeded user every shopper orders as; the sandbox has no sign-in page. */
  shopperId: string;
  /** A fresh checkout Idempotency-Key for each render of the cart page. */
  newIdempotencyKey: () => string;
  logger?: Logger;
}

export type StorefrontOptions = Omit<StorefrontDeps, 'shopperId' | 'newIdempotencyKey'> & Partial<Pick<StorefrontDeps, 'shopperId' | 'newIdempotencyKey'>>;

const wantsHtml = (c: Context): boolean => (c.req.header('accept') ?? '').includes('text/html') || c.req.method === 'POST';

export function createApp(options: StorefrontOptions) {
  const deps: StorefrontDeps = { shopperId: '1', newIdempotencyKey: randomUUID, ...options };
  const app = new Hono()
    .route('/', productRoutes(deps))
    .route('/', cartRoutes(deps))
    .route('/', checkoutRoutes(deps))
    .route('/', orderRoutes(deps))
    .route('/', meshRoutes(deps))
    // Browsers ask for it on every first visit; an empty answer keeps the 404s out of the logs.
    .get('/favicon.ico', (c) => c.body(null, 204));

  app.onError((error, c) => {
    const failure = describeFailure(error);
    if (failure.status >= 500) deps.logger?.warn('page failed', { path: c.req.path, status: failure.status, error: (error as Error).message });
    if (c.req.path === '/mesh/sample') return c.json({ error: { code: 'sample_failed', message: failure.message } }, failure.status);
    return renderErrorPage(c, deps.identity, failure);
  });
  app.notFound((c) => (wantsHtml(c) ? renderErrorPage(c, deps.identity, { status: 404, heading: 'Not found', message: 'There is no such page in the shop.' }) : notFoundHandler(c)));
  return app;
}

export type AppType = ReturnType<typeof createApp>;

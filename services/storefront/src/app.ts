// The storefront app: server-rendered shop pages and the /mesh live traffic view. No I/O on import;
// every upstream comes in through deps, so tests pass fakes.
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { notFoundHandler } from '../../shared/src/errors.ts';
import type { Logger } from '../../shared/src/logging.ts';
import { describeFailure } from './failures.ts';
import { cartRoutes } from './routes/cart.tsx';
import { checkoutRoutes } from './routes/checkout.tsx';
import { meshRoutes } from './routes/mesh.tsx';
import { orderRoutes } from './routes/orders.tsx';
import { productRoutes } from './routes/products.tsx';
import { sessionRoutes } from './routes/session.tsx';
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
  /** A fresh checkout Idempotency-Key for each render of the cart page. */
  newIdempotencyKey: () => string;
  logger?: Logger;
}

export type StorefrontOptions = Omit<StorefrontDeps, 'newIdempotencyKey'> & Partial<Pick<StorefrontDeps, 'newIdempotencyKey'>>;

const wantsHtml = (c: Context): boolean => (c.req.header('accept') ?? '').includes('text/html') || c.req.method === 'POST';

/** Same host as the request, whatever the scheme: a gateway may terminate TLS in front of us. */
function sameHost(origin: string, c: Context): boolean {
  try {
    return new URL(origin).host === new URL(c.req.url).host;
  } catch {
    return false;
  }
}

export function createApp(options: StorefrontOptions) {
  const deps: StorefrontDeps = { newIdempotencyKey: randomUUID, ...options };
  const app = new Hono()
    .use(
      '*',
      secureHeaders({
        contentSecurityPolicy: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", NONCE],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
        referrerPolicy: 'same-origin',
        xFrameOptions: 'DENY',
      }),
    )
    // Every form post must come from a page of this shop (Origin or Sec-Fetch-Site), so another site cannot check out for you.
    .use('*', csrf({ origin: sameHost }))
    .use('*', async (c, next) => {
      await next();
      // Pages carry the cart, the checkout key and the shopper's orders: never keep them in a cache.
      if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
    })
    .route('/', productRoutes(deps))
    .route('/', sessionRoutes(deps))
    .route('/', cartRoutes(deps))
    .route('/', checkoutRoutes(deps))
    .route('/', orderRoutes(deps))
    .route('/', meshRoutes(deps))
    // Browsers ask for it on every first visit; an empty answer keeps the 404s out of the logs.
    .get('/favicon.ico', (c) => c.body(null, 204));

  app.onError((error, c) => {
    const failure =
      error instanceof HTTPException && error.status < 500
        ? { status: error.status as ContentfulStatusCode, heading: 'That did not work', message: error.status === 403 ? 'This form must be sent from a page of this shop.' : 'The request was not understood.' }
        : describeFailure(error);
    if (failure.status >= 500) deps.logger?.warn('page failed', { path: c.req.path, status: failure.status, error: (error as Error).message });
    if (c.req.path === '/mesh/sample') return c.json({ error: { code: 'sample_failed', message: failure.message } }, failure.status);
    return renderErrorPage(c, deps.identity, failure);
  });
  app.notFound((c) => (wantsHtml(c) ? renderErrorPage(c, deps.identity, { status: 404, heading: 'Not found', message: 'There is no such page in the shop.' }) : notFoundHandler(c)));
  return app;
}

export type AppType = ReturnType<typeof createApp>;

// Fake upstream clients for the route tests: each answers from a handler, records its calls, and
// may throw UpstreamError like the real client. No network.
import { UpstreamError, type UpstreamClient, type UpstreamRequest, type UpstreamResponse } from '../../shared/src/upstream.ts';
import { createApp, type StorefrontOptions } from './app.ts';
import { encodeCart, type Cart } from './cart.ts';
import { ordersApi } from './upstream/orders.ts';
import { productsApi } from './upstream/products.ts';
import { usersApi } from './upstream/users.ts';

export type FakeHandler = (req: UpstreamRequest) => UpstreamResponse | Promise<UpstreamResponse>;

export interface FakeClient extends UpstreamClient {
  readonly calls: UpstreamRequest[];
  handler: FakeHandler;
}

export function fakeClient(name: string, handler: FakeHandler): FakeClient {
  const client: FakeClient = {
    name,
    baseUrl: `http://${name}.test`,
    calls: [],
    handler,
    async request(req) {
      client.calls.push(req);
      return client.handler(req);
    },
    close: async () => undefined,
  };
  return client;
}

export function answer(service: string, status: number, body: unknown, version = 'v1', pod = `${service}-${version}-abc12`): UpstreamResponse {
  return { status, headers: { 'x-service': service, 'x-service-version': version, 'x-pod': pod, 'content-type': 'application/json' }, body };
}

export const PRODUCTS = [
  { id: 101, name: 'Laptop', priceCents: 99900, currency: 'EUR' },
  { id: 102, name: 'Phone', priceCents: 59900, currency: 'EUR' },
];

/** A token shaped like users' (the storefront only reads its claims; orders verifies it). */
export function fakeToken(sub = '1', name = 'Alice', exp = Math.floor(Date.now() / 1000) + 3600): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'k' })}.${part({ sub, name, exp })}.c2ln`;
}

export const ALICE_TOKEN = fakeToken();
/** The cookie of a shopper signed in as Alice. */
export const SIGNED_IN = `shopmesh_session=${ALICE_TOKEN}`;

export function productsHandler(version = 'v1'): FakeHandler {
  return (req) => {
    const extra = version === 'v2' ? { rating: 4.5, salePriceCents: 89900 } : {};
    if (req.path === '/products') return answer('products', 200, PRODUCTS.map((p) => ({ ...p, ...extra })), version);
    const match = /^\/products\/(\d+)$/.exec(req.path);
    const product = PRODUCTS.find((p) => String(p.id) === match?.[1]);
    return product ? answer('products', 200, { ...product, ...extra }, version) : answer('products', 404, { error: { code: 'not_found', message: 'no such product' } }, version);
  };
}

export const usersHandler: FakeHandler = (req) => {
  if (req.method === 'POST' && req.path === '/auth/token') {
    const username = (req.json as { username?: unknown } | undefined)?.username;
    return username === 'alice'
      ? answer('users', 200, { access_token: ALICE_TOKEN, token_type: 'Bearer', expires_in: 3600 })
      : answer('users', 401, { error: { code: 'unknown_user', message: 'no such user' } });
  }
  if (req.path === '/users/1') return answer('users', 200, { id: 1, username: 'alice', name: 'Alice' });
  return answer('users', 404, { error: { code: 'not_found', message: 'no such user' } });
};

/** Orders that honours Idempotency-Key like the real one: a repeated key returns the same order. */
export function ordersHandler(): FakeHandler {
  const byKey = new Map<string, string>();
  const orders = new Map<string, Record<string, unknown> & { order_id: string }>();
  let next = 5001;
  return (req) => {
    if (req.method === 'POST' && req.path === '/orders') {
      const key = (req.headers as Record<string, string> | undefined)?.['idempotency-key'];
      if (!key) return answer('orders', 400, { error: { code: 'missing_idempotency_key', message: 'Idempotency-Key is required' } });
      if ((req.headers as Record<string, string> | undefined)?.authorization !== `Bearer ${ALICE_TOKEN}`) return answer('orders', 401, { error: { code: 'token_required', message: 'sign in' } });
      const body = req.json as { productId: number; quantity: number; unitPriceCents: number };
      const product = PRODUCTS.find((p) => p.id === body.productId);
      if (!product) return answer('orders', 400, { error: { code: 'unknown_product', message: 'no such product' } });
      if (body.unitPriceCents !== product.priceCents) return answer('orders', 409, { error: { code: 'price_changed', message: 'the price changed', unit_price_cents: product.priceCents } });
      let id = byKey.get(key);
      if (!id) {
        id = String(next++);
        byKey.set(key, id);
        orders.set(id, { order_id: id, user: { name: 'Alice' }, product: { name: product.name }, quantity: body.quantity, product_id: product.id, total_cents: body.quantity * product.priceCents, currency: 'EUR', status: 'paid', created_at: '2026-03-01T12:00:00.000Z' });
        return answer('orders', 201, orders.get(id));
      }
      return answer('orders', 200, orders.get(id));
    }
    if (req.method === 'GET' && req.path.startsWith('/orders?')) {
      if ((req.headers as Record<string, string> | undefined)?.authorization !== `Bearer ${ALICE_TOKEN}`) return answer('orders', 401, { error: { code: 'token_required', message: 'sign in' } });
      return answer('orders', 200, { orders: [...orders.values()], next_cursor: null });
    }
    const match = /^\/orders\/(\w+)$/.exec(req.path);
    const order = match ? orders.get(match[1]!) : undefined;
    return order ? answer('orders', 200, order) : answer('orders', 404, { error: { code: 'not_found', message: 'no such order' } });
  };
}

export function failing(service: string, failure: UpstreamError['failure'], upstreamStatus?: number): FakeHandler {
  return () => {
    throw new UpstreamError(service, failure, `${service} failed`, upstreamStatus === undefined ? {} : { upstreamStatus });
  };
}

export interface FakeShop {
  app: ReturnType<typeof createApp>;
  users: FakeClient;
  products: FakeClient;
  orders: FakeClient;
}

export function fakeShop(overrides: Partial<StorefrontOptions> = {}, keys: readonly string[] = []): FakeShop {
  const users = fakeClient('users', usersHandler);
  const products = fakeClient('products', productsHandler());
  const orders = fakeClient('orders', ordersHandler());
  let keyIndex = 0;
  const app = createApp({
    identity: { service: 'storefront', version: 'v1', pod: 'storefront-test' },
    users: usersApi(users),
    products: productsApi(products),
    orders: ordersApi(orders),
    ...(keys.length > 0 ? { newIdempotencyKey: () => keys[keyIndex++ % keys.length]! } : {}),
    ...overrides,
  });
  return { app, users, products, orders };
}

export function cartCookie(cart: Cart): string {
  return `shopmesh_cart=${encodeCart(cart)}`;
}

/** A form post from a page of the shop (app.request() serves http://localhost). */
export function form(fields: Record<string, string>, cookie?: string, origin = 'http://localhost'): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin, ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  };
}

export const html = { headers: { accept: 'text/html' } };

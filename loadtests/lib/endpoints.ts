// The shop's own requests the load tests send: one place to change if a service's API moves.

/** A GET through the gateway that every route prefix answers with 2xx in the baseline shop. */
export const GATEWAY_PROBES: Readonly<Record<string, string>> = {
  '/': '/',
  '/api/products': '/api/products/101',
  '/api/users': '/api/users/1',
  // users' /auth has no GET resource (POST /auth/token only): the jwt scenario exercises it.
  '/api/auth': '',
  '/api/orders': '/api/orders/5001',
  '/api/payments': '/api/payments?order=5001',
  '/api/notifications': '/api/notifications',
};

/** The path to GET for a route prefix: a known resource, the prefix itself, or '' when the route has nothing to GET. */
export function probePath(prefix: string): string {
  const trimmed = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  return GATEWAY_PROBES[trimmed] ?? trimmed;
}

/** East-west: a GET each service answers directly on its own port (no /api prefix). */
export const SERVICE_PROBES: Readonly<Record<string, string>> = {
  storefront: '/',
  users: '/users/1',
  products: '/products/101',
  orders: '/orders/5001',
  payments: '/payments?order=5001',
  notifications: '/notifications',
};

export function serviceUrl(service: string, namespace = 'shop', port = 8080): string {
  return `http://${service}.${namespace}.svc.cluster.local:${port}${SERVICE_PROBES[service] ?? '/'}`;
}

export const PRODUCT_PATH = '/api/products/101';
export const ORDER_PATH = '/api/orders/5001';
export const PLACE_ORDER_PATH = '/api/orders';
export const TOKEN_PATH = '/api/auth/token';
export const LEDGER_PATH = (orderId: string): string => `/api/payments?order=${encodeURIComponent(orderId)}`;

/** The laptop's unit price on products v1, in cents: the price a shopper confirms in the baseline shop. */
export const LAPTOP_UNIT_PRICE_CENTS = 129900;

/**
 * POST /orders body: the product, a positive quantity and the unit price the client confirmed (orders
 * answers 409 price_changed when products prices it otherwise). The user comes from the token.
 */
export function orderBody(product = 101, unitPriceCents = LAPTOP_UNIT_PRICE_CENTS): string {
  return JSON.stringify({ productId: product, quantity: 1, unitPriceCents });
}

/** The Authorization header for a token from POST /auth/token. */
export function bearerHeader(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** POST /auth/token body: the sandbox identity provider issues a token for a seeded username. */
export const TOKEN_REQUEST_BODY = JSON.stringify({ username: 'alice' });

/** The order id in a POST /orders answer ({order_id} or {id}), if any. */
export function orderIdOf(body: string | null | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as Record<string, unknown>;
    const id = parsed.order_id ?? parsed.orderId ?? parsed.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

/** How many charges a ledger answer lists: an array, or {charges|items|payments: [...]}. */
export function chargeCount(body: string | null | undefined): number | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as unknown;
    if (Array.isArray(parsed)) return parsed.length;
    if (parsed && typeof parsed === 'object') {
      for (const key of ['charges', 'items', 'payments']) {
        const list = (parsed as Record<string, unknown>)[key];
        if (Array.isArray(list)) return list.length;
      }
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** A token from POST /auth/token ({token} or {access_token}). */
export function tokenOf(body: string | null | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as Record<string, unknown>;
    const token = parsed.token ?? parsed.access_token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** A well-formed JWT whose signature no issuer made: the mesh must answer 401. */
export const FORGED_JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzaG9wbWVzaC11c2VycyIsInN1YiI6IjEiLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJlLW5vYm9keS1tYWRl';

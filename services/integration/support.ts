// What the integration tests share: reading the ledger and the notifications, and form posts to storefront.
import { call, type CallResult } from '../../test/support/http.ts';

/** The list inside a list answer: the array itself, or the first array-valued field ({payments: [...]}). */
export function listOf(body: unknown): Record<string, unknown>[] {
  if (Array.isArray(body)) return body as Record<string, unknown>[];
  if (body && typeof body === 'object') {
    for (const value of Object.values(body)) if (Array.isArray(value)) return value as Record<string, unknown>[];
  }
  throw new Error(`expected a list answer, got ${JSON.stringify(body)}`);
}

export async function ledger(paymentsUrl: string, orderId: string): Promise<Record<string, unknown>[]> {
  const res = await call(`${paymentsUrl}/payments?order=${encodeURIComponent(orderId)}`);
  if (res.status !== 200) throw new Error(`the ledger answered ${res.status}: ${res.text}`);
  return listOf(res.json);
}

export async function notifications(notificationsUrl: string): Promise<Record<string, unknown>[]> {
  const res = await call(`${notificationsUrl}/notifications`);
  if (res.status !== 200) throw new Error(`notifications answered ${res.status}: ${res.text}`);
  return listOf(res.json);
}

/** The laptop at its v1 price: what a shopper confirms when products v1 answered. */
export const LAPTOP = Object.freeze({ productId: 101, unitPriceCents: 129900 });

/** A token from the users service, obtained as a real client does (POST /auth/token). */
export async function tokenFor(usersUrl: string, username = 'alice'): Promise<string> {
  const res = await call(`${usersUrl}/auth/token`, { method: 'POST', json: { username } });
  const token = (res.json as { access_token?: unknown } | undefined)?.access_token;
  if (res.status !== 200 || typeof token !== 'string') throw new Error(`POST /auth/token answered ${res.status}: ${res.text}`);
  return token;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function placeOrder(
  ordersUrl: string,
  key: string,
  order: { productId: number; quantity: number; unitPriceCents: number; userId?: number },
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<CallResult> {
  return call(`${ordersUrl}/orders`, { method: 'POST', json: order, headers: { 'idempotency-key': key, ...headers }, timeoutMs });
}

export function orderIdOf(res: CallResult): string {
  const id = (res.json as { order_id?: unknown } | undefined)?.order_id;
  if (id === undefined) throw new Error(`no order_id in ${res.status} ${res.text}`);
  return String(id);
}

/** The cookies a response sets, as one Cookie header value merged over `previous`. */
export function mergeCookies(previous: string, res: CallResult): string {
  const jar = new Map(previous.split('; ').filter(Boolean).map((pair) => [pair.split('=')[0]!, pair] as const));
  const setCookie = res.headers['set-cookie'];
  for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const pair = line.split(';')[0]!;
    jar.set(pair.split('=')[0]!, pair);
  }
  return [...jar.values()].filter((pair) => !pair.endsWith('=')).join('; ');
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Signs in at the storefront as a browser would (a form post from the shop's own origin); returns the cookies. */
export async function signInAtStorefront(storefrontUrl: string, username = 'alice', headers: Record<string, string> = {}): Promise<string> {
  const res = await call(`${storefrontUrl}/signin`, { method: 'POST', body: `username=${username}`, headers: { ...FORM, origin: storefrontUrl, ...headers } });
  if (res.status !== 303) throw new Error(`POST /signin answered ${res.status}: ${res.text.slice(0, 300)}`);
  return mergeCookies('', res);
}

/** The hidden fields of the cart page's checkout form (the key and the confirmed prices). */
export function checkoutFields(cartPage: string): Record<string, string> {
  const form = /<form method="post" action="\/checkout"[^>]*>([\s\S]*?)<\/form>/.exec(cartPage)?.[1];
  if (!form) throw new Error(`the cart page has no checkout form: ${cartPage.slice(0, 300)}`);
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** Signs in, puts a product in a fresh cart and checks out through the storefront's forms, as a browser does. */
export async function checkoutThroughStorefront(storefrontUrl: string, productId: number, headers: Record<string, string> = {}): Promise<{ cart: CallResult; checkout: CallResult; page: CallResult; cookie: string }> {
  const origin = { origin: storefrontUrl };
  let cookie = await signInAtStorefront(storefrontUrl, 'alice', headers);
  const cart = await call(`${storefrontUrl}/cart`, { method: 'POST', body: `productId=${productId}&qty=1`, headers: { ...FORM, ...origin, cookie, ...headers } });
  cookie = mergeCookies(cookie, cart);
  const page = await call(`${storefrontUrl}/cart`, { headers: { cookie, ...headers } });
  const fields = checkoutFields(page.text);
  const checkout = await call(`${storefrontUrl}/checkout`, {
    method: 'POST',
    body: new URLSearchParams(fields).toString(),
    headers: { ...FORM, ...origin, cookie, ...headers },
    timeoutMs: 15_000,
  });
  return { cart, checkout, page, cookie: mergeCookies(cookie, checkout) };
}

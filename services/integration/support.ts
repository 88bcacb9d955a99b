// What the integration tests share: reading the ledger and the notifications, and form posts to storefront.
import { randomUUID } from 'node:crypto';
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

export function placeOrder(ordersUrl: string, key: string, order: { userId: number; productId: number; quantity: number }, headers: Record<string, string> = {}): Promise<CallResult> {
  return call(`${ordersUrl}/orders`, { method: 'POST', json: order, headers: { 'idempotency-key': key, ...headers }, timeoutMs: 15_000 });
}

export function orderIdOf(res: CallResult): string {
  const id = (res.json as { order_id?: unknown } | undefined)?.order_id;
  if (id === undefined) throw new Error(`no order_id in ${res.status} ${res.text}`);
  return String(id);
}

/** Puts a product in a fresh cart and checks out through the storefront's forms; returns the redirect. */
export async function checkoutThroughStorefront(storefrontUrl: string, productId: number, headers: Record<string, string> = {}): Promise<{ cart: CallResult; checkout: CallResult }> {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const cart = await call(`${storefrontUrl}/cart`, { method: 'POST', body: `productId=${productId}&qty=1`, headers: { ...form, ...headers } });
  const setCookie = cart.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? ''])
    .map((c) => c.split(';')[0])
    .filter(Boolean)
    .join('; ');
  const checkout = await call(`${storefrontUrl}/checkout`, {
    method: 'POST',
    body: `idempotencyKey=${randomUUID()}`,
    headers: { ...form, cookie, ...headers },
    timeoutMs: 15_000,
  });
  return { cart, checkout };
}

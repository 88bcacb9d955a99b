// The cart: a page listing the cookie's lines with live names and prices, and two small forms to
// add and remove lines. Every render of the page carries a fresh checkout Idempotency-Key.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod/mini';
import { badRequest } from '../../../shared/src/errors.ts';
import { CART_COOKIE, MAX_QTY, addToCart, encodeCart, itemCount, productIdSchema, removeFromCart, type Cart } from '../cart.ts';
import type { StorefrontDeps } from '../app.ts';
import { displayName } from '../failures.ts';
import { forwardHeaders, readCart } from '../request.ts';
import type { ServedBy } from '../served.ts';
import { cookieOptions, readSession } from '../session.ts';
import { CartPage, type CartRow, type Notice } from '../views/pages.tsx';
import { renderPage } from '../views/render.tsx';
import { readForm } from './form.ts';

const addSchema = z.object({
  productId: productIdSchema,
  qty: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_QTY)), 1),
});
const removeSchema = z.object({ productId: productIdSchema });

const CART_MAX_AGE_SECONDS = 7 * 24 * 3600;

export function writeCart(c: Context, cart: Cart): void {
  if (cart.length === 0) deleteCookie(c, CART_COOKIE, { path: '/' });
  else setCookie(c, CART_COOKIE, encodeCart(cart), cookieOptions(c, CART_MAX_AGE_SECONDS));
}

export interface CartPageState {
  idempotencyKey: string;
  notice?: Notice;
  placed?: readonly string[];
  status?: ContentfulStatusCode;
}

/** Renders the cart page for `cart`, looking up names and prices; a failing upstream leaves gaps, not an error page. */
export async function renderCartPage(c: Context, deps: StorefrontDeps, cart: Cart, state: CartPageState): Promise<Response> {
  const headers = forwardHeaders(c);
  const served: ServedBy[] = [];
  const missing = new Set<string>();
  const noAnswer = (service: string): ServedBy => ({ service, version: '', pod: '' });

  const rows = await Promise.all(
    cart.map(async (line): Promise<CartRow> => {
      try {
        const answer = await deps.products.get(line.productId, headers);
        served.push(answer.served);
        return { ...line, product: answer.data ?? undefined };
      } catch {
        served.push(noAnswer('products'));
        missing.add('products');
        return { ...line, product: undefined };
      }
    }),
  );
  const shopperName = readSession(c)?.name;
  const notice: Notice | undefined =
    state.notice ?? (missing.size > 0 ? { kind: 'error', text: `${[...missing].map(displayName).join(', ')} did not answer; some names and prices are missing.` } : undefined);
  return renderPage(
    c,
    deps.identity,
    { title: 'Cart', served, status: state.status ?? 200, cartCount: itemCount(cart) },
    <CartPage rows={rows} shopperName={shopperName} idempotencyKey={state.idempotencyKey} notice={notice} placed={state.placed ?? []} />,
  );
}

export function cartRoutes(deps: StorefrontDeps) {
  return new Hono()
    .get('/cart', (c) => renderCartPage(c, deps, readCart(c), { idempotencyKey: deps.newIdempotencyKey() }))
    .post('/cart', async (c) => {
      const parsed = addSchema.safeParse(await readForm(c));
      if (!parsed.success) throw badRequest('invalid_cart_line', `Choose a product and a quantity from 1 to ${MAX_QTY}.`);
      writeCart(c, addToCart(readCart(c), parsed.data.productId, parsed.data.qty));
      return c.redirect('/cart', 303);
    })
    .post('/cart/remove', async (c) => {
      const parsed = removeSchema.safeParse(await readForm(c));
      if (!parsed.success) throw badRequest('invalid_cart_line', 'Choose a product to remove.');
      writeCart(c, removeFromCart(readCart(c), parsed.data.productId));
      return c.redirect('/cart', 303);
    });
}

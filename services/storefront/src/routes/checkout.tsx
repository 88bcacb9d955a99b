// Checkout: one order per cart line, each with its own Idempotency-Key derived from the form's and
// the unit price the shopper saw on the cart page. Every sentence shown about being charged is true
// on its path: "not charged" only when orders (or the refused connection) proves it.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod/mini';
import { badRequest } from '../../../shared/src/errors.ts';
import { UpstreamError } from '../../../shared/src/upstream.ts';
import type { Cart } from '../cart.ts';
import type { StorefrontDeps } from '../app.ts';
import { forwardHeaders, readCart } from '../request.ts';
import { readSession } from '../session.ts';
import { OrderRejected } from '../upstream/orders.ts';
import { money, quoteField } from '../views/pages.tsx';
import { renderCartPage, writeCart } from './cart.tsx';
import { readForm } from './form.ts';

const checkoutSchema = z.object({ idempotencyKey: z.uuid() });
const quoteSchema = z.pipe(z.string().check(z.regex(/^\d{1,9}$/)), z.transform(Number));

/** Each cart line is its own order, so each gets its own key, derived from the form's. */
export function lineIdempotencyKey(formKey: string, productId: string): string {
  return `${formKey}-${productId}`;
}

export interface CheckoutFailure {
  status: ContentfulStatusCode;
  text: string;
  /** The form's key may not be reused (the order it named is settled otherwise): render a fresh one. */
  freshKey?: boolean;
}

const NOT_CHARGED_4XX = new Set<number>([400, 401, 403, 404, 409, 422]);
const UNCONFIRMED = 'We could not confirm whether the order went through. Placing it again with this button is safe: it will not order or charge twice.';

export function describeCheckoutFailure(error: unknown, productName = 'a product'): CheckoutFailure {
  if (error instanceof OrderRejected) {
    switch (error.code) {
      case 'price_changed':
        return {
          status: 409,
          text: `The price of ${productName} has changed${error.unitPriceCents !== undefined ? ` to ${money(error.unitPriceCents / 100)} a unit` : ''}. You were not charged. Check the new total below and place the order again to confirm it.`,
          freshKey: true,
        };
      case 'order_cancelled':
        return { status: 409, text: 'This order was cancelled because its payment could not be confirmed in time; you were not charged. Place the order again to start a new one.', freshKey: true };
      case 'idempotency_key_reused':
        return { status: 409, text: 'This checkout form was already used for a different order; nothing new was charged. Place the order again from this page.', freshKey: true };
      case 'payment_conflict':
        return { status: 409, text: UNCONFIRMED };
      case 'invalid_token':
      case 'token_required':
        return { status: 401, text: 'Your sign-in has expired, so no order was placed and you were not charged. Please sign in again.' };
      default: {
        const status = (NOT_CHARGED_4XX.has(error.status) ? error.status : 400) as ContentfulStatusCode;
        return { status, text: `The order was refused: ${error.message}. You were not charged.` };
      }
    }
  }
  if (error instanceof UpstreamError) {
    if (error.neverSent) return { status: 503, text: 'Ordering is unavailable right now; you were not charged. Please try again in a moment.' };
    if (error.answeredBy === 'orders' && error.upstreamCode === 'payment_not_made') {
      return { status: 503, text: 'Payments is unavailable right now; you were not charged. Please try again in a moment.' };
    }
    if (error.failure === 'upstream_timeout') {
      return { status: 504, text: 'Ordering did not answer in time, so the order may still go through. Placing it again is safe: it will not order or charge twice.' };
    }
    return { status: error.status, text: UNCONFIRMED };
  }
  throw error;
}

export function checkoutRoutes(deps: StorefrontDeps) {
  return new Hono().post('/checkout', async (c: Context) => {
    const fields = await readForm(c);
    const form = checkoutSchema.safeParse(fields);
    if (!form.success) throw badRequest('invalid_checkout', 'This checkout form is out of date. Please open the cart and try again.');
    const session = readSession(c);
    if (!session) return c.redirect('/signin?next=/cart', 303);
    const key = form.data.idempotencyKey;
    let cart: Cart = readCart(c);
    if (cart.length === 0) return c.redirect('/cart', 303);
    const quotes = new Map<string, number>();
    for (const line of cart) {
      const quote = quoteSchema.safeParse(fields[quoteField(line.productId)]);
      if (!quote.success) throw badRequest('invalid_checkout', 'This checkout form is out of date. Please open the cart and try again.');
      quotes.set(line.productId, quote.data);
    }

    const headers = forwardHeaders(c);
    const placed: string[] = [];
    let current = '';
    try {
      for (const line of cart) {
        current = line.productId;
        const { data: order } = await deps.orders.create(
          { productId: line.productId, quantity: line.qty, unitPriceCents: quotes.get(line.productId)! },
          { idempotencyKey: lineIdempotencyKey(key, line.productId), token: session.token, headers },
        );
        placed.push(order.order_id);
        cart = cart.filter((l) => l.productId !== line.productId);
      }
    } catch (error) {
      const name = error instanceof OrderRejected && error.code === 'price_changed' ? await productName(deps, current, headers) : undefined;
      const failure = describeCheckoutFailure(error, name);
      deps.logger?.warn('checkout failed', { placed, status: failure.status, error: (error as Error).message });
      writeCart(c, cart);
      return renderCartPage(c, deps, cart, {
        idempotencyKey: failure.freshKey ? deps.newIdempotencyKey() : key,
        notice: { kind: 'error', text: failure.text },
        placed,
        status: failure.status,
      });
    }
    writeCart(c, cart);
    const [first, ...rest] = placed;
    const also = rest.length > 0 ? `&also=${rest.map(encodeURIComponent).join(',')}` : '';
    return c.redirect(`/orders/${encodeURIComponent(first!)}?placed=1${also}`, 303);
  });
}

async function productName(deps: StorefrontDeps, productId: string, headers: ReturnType<typeof forwardHeaders>): Promise<string | undefined> {
  try {
    return (await deps.products.get(productId, headers)).data?.name;
  } catch {
    return undefined;
  }
}

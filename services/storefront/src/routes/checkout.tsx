// Checkout turns the cart into orders. The form carries an Idempotency-Key made when the cart page
// was rendered, so submitting the same form twice (a double click, a reload, a mesh retry) gives the
// same orders and the same charges, never new ones. A failure re-renders the cart with the same key,
// so trying again is safe too.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod/mini';
import { badRequest } from '../../../shared/src/errors.ts';
import { UpstreamError } from '../../../shared/src/upstream.ts';
import { type Cart } from '../cart.ts';
import type { StorefrontDeps } from '../app.ts';
import { forwardHeaders, readCart } from '../request.ts';
import { OrderRejected } from '../upstream/orders.ts';
import { renderCartPage, writeCart } from './cart.tsx';
import { readForm } from './form.ts';

const checkoutSchema = z.object({ idempotencyKey: z.uuid() });

/** Each cart line is its own order, so each gets its own key, derived from the form's. */
export function lineIdempotencyKey(formKey: string, productId: string): string {
  return `${formKey}-${productId}`;
}

interface CheckoutFailure {
  status: ContentfulStatusCode;
  text: string;
}

const REJECTED_STATUSES = new Set<number>([400, 401, 403, 404, 409, 422]);

export function describeCheckoutFailure(error: unknown): CheckoutFailure {
  if (error instanceof OrderRejected) {
    const status = (REJECTED_STATUSES.has(error.status) ? error.status : 400) as ContentfulStatusCode;
    return { status, text: `The order was refused: ${error.message}. You were not charged.` };
  }
  if (error instanceof UpstreamError) {
    if (error.upstream === 'users') {
      return { status: error.status, text: 'Sign-in (users) is unavailable right now, so no order was placed and you were not charged. Please try again in a moment.' };
    }
    switch (error.failure) {
      case 'upstream_unavailable':
        return { status: 503, text: 'Ordering is unavailable right now; you were not charged. Please try again in a moment.' };
      case 'upstream_timeout':
        return { status: 504, text: 'Ordering did not answer in time, so the order may still go through. Placing it again is safe: it will not order or charge twice.' };
      default:
        // orders answers 503 when payments is unavailable behind it: no charge was made.
        if (error.upstreamStatus === 503) {
          return { status: 503, text: 'Payments or ordering is unavailable right now; you were not charged. Please try again in a moment.' };
        }
        return { status: error.status, text: 'Ordering ran into a problem. Placing the order again is safe: it will not order or charge twice.' };
    }
  }
  throw error;
}

export function checkoutRoutes(deps: StorefrontDeps) {
  return new Hono().post('/checkout', async (c: Context) => {
    const form = checkoutSchema.safeParse(await readForm(c));
    if (!form.success) throw badRequest('invalid_checkout', 'This checkout form is out of date. Please open the cart and try again.');
    const key = form.data.idempotencyKey;
    let cart: Cart = readCart(c);
    if (cart.length === 0) return c.redirect('/cart', 303);

    const headers = forwardHeaders(c);
    const placed: string[] = [];
    try {
      const { data: token } = await deps.users.token(deps.shopperId, headers);
      for (const line of cart) {
        const { data: order } = await deps.orders.create(
          { userId: deps.shopperId, productId: line.productId, quantity: line.qty },
          { idempotencyKey: lineIdempotencyKey(key, line.productId), token, headers },
        );
        placed.push(order.order_id);
        cart = cart.filter((l) => l.productId !== line.productId);
      }
    } catch (error) {
      const failure = describeCheckoutFailure(error);
      deps.logger?.warn('checkout failed', { placed, status: failure.status, error: (error as Error).message });
      writeCart(c, cart);
      return renderCartPage(c, deps, cart, {
        idempotencyKey: key,
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

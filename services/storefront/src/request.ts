// Per-request helpers the routes share: the headers to forward upstream and the cart cookie.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { fetchHeaderReader, pickForwardHeaders, requestIdFrom, type ForwardHeaders } from '../../shared/src/propagation.ts';
import { CART_COOKIE, decodeCart, type Cart } from './cart.ts';

/** The trace, request-id and routing headers of the incoming request, for every upstream call it makes. */
export function forwardHeaders(c: Context): ForwardHeaders {
  const read = fetchHeaderReader(c.req.raw.headers);
  // Under the shared service app the request id is already chosen (and logged): forward that one.
  const chosen = (c.var as { requestId?: unknown }).requestId;
  return pickForwardHeaders(read, typeof chosen === 'string' ? chosen : requestIdFrom(read));
}

export function readCart(c: Context): Cart {
  return decodeCart(getCookie(c, CART_COOKIE));
}

// The cart lives in one unsigned cookie: a short list of {productId, qty}. It is only a wish list,
// so nothing is trusted from it: it is validated on every read, and anything malformed reads as an
// empty cart. Prices and names always come from products.
import * as z from 'zod/mini';

export const CART_COOKIE = 'shopmesh_cart';
export const MAX_LINES = 10;
export const MAX_QTY = 10;

export const productIdSchema = z.string().check(z.regex(/^[1-9]\d{0,8}$/, 'must be a product id'));

const lineSchema = z.strictObject({
  productId: productIdSchema,
  qty: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_QTY)),
});
const cartSchema = z.array(lineSchema).check(z.maxLength(MAX_LINES));

export type CartLine = z.infer<typeof lineSchema>;
export type Cart = readonly CartLine[];

export function encodeCart(cart: Cart): string {
  return Buffer.from(JSON.stringify(cart), 'utf8').toString('base64url');
}

/** Any cookie value, however broken, gives a valid cart (possibly empty). */
export function decodeCart(value: string | undefined): Cart {
  if (!value || value.length > 2048) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return [];
  }
  const result = cartSchema.safeParse(parsed);
  if (!result.success) return [];
  // Merge duplicate lines a hand-edited cookie might hold.
  return result.data.reduce<Cart>((cart, line) => addToCart(cart, line.productId, line.qty), []);
}

/** Adds qty of a product, capping the line at MAX_QTY; a new product beyond MAX_LINES is refused. */
export function addToCart(cart: Cart, productId: string, qty: number): Cart {
  const existing = cart.find((l) => l.productId === productId);
  if (existing) {
    return cart.map((l) => (l.productId === productId ? { productId, qty: Math.min(MAX_QTY, l.qty + qty) } : l));
  }
  if (cart.length >= MAX_LINES) return cart;
  return [...cart, { productId, qty: Math.min(MAX_QTY, qty) }];
}

export function removeFromCart(cart: Cart, productId: string): Cart {
  return cart.filter((l) => l.productId !== productId);
}

export function itemCount(cart: Cart): number {
  return cart.reduce((n, l) => n + l.qty, 0);
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LINES, MAX_QTY, addToCart, decodeCart, encodeCart, itemCount, removeFromCart, type Cart } from './cart.ts';

const cookieOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cart cookie', () => {
  it('round-trips a cart', () => {
    const cart = [{ productId: '101', qty: 2 }, { productId: '102', qty: 1 }];
    assert.deepEqual(decodeCart(encodeCart(cart)), cart);
  });

  it('reads anything malformed as an empty cart', () => {
    const broken = [
      undefined,
      '',
      'not base64 json',
      cookieOf({ productId: '101', qty: 1 }),
      cookieOf([{ productId: '101', qty: 0 }]),
      cookieOf([{ productId: '101', qty: 1.5 }]),
      cookieOf([{ productId: '101', qty: MAX_QTY + 1 }]),
      cookieOf([{ productId: '../admin', qty: 1 }]),
      cookieOf([{ productId: 101, qty: 1 }]),
      cookieOf([{ productId: '101', qty: 1, price: 0 }]),
      cookieOf(Array.from({ length: MAX_LINES + 1 }, (_, i) => ({ productId: String(101 + i), qty: 1 }))),
      'x'.repeat(5000),
    ];
    for (const value of broken) assert.deepEqual(decodeCart(value), [], `cookie ${String(value).slice(0, 40)}`);
  });

  it('merges duplicate lines of a hand-edited cookie', () => {
    assert.deepEqual(decodeCart(cookieOf([{ productId: '101', qty: 2 }, { productId: '101', qty: 3 }])), [{ productId: '101', qty: 5 }]);
  });
});

describe('cart lines', () => {
  it('adds to an existing line and caps its quantity', () => {
    let cart = addToCart([], '101', 3);
    cart = addToCart(cart, '101', 4);
    assert.deepEqual(cart, [{ productId: '101', qty: 7 }]);
    assert.deepEqual(addToCart(cart, '101', 9), [{ productId: '101', qty: MAX_QTY }]);
  });

  it('refuses a new line beyond the limit but still grows existing ones', () => {
    let cart: Cart = Array.from({ length: MAX_LINES }, (_, i) => ({ productId: String(200 + i), qty: 1 }));
    assert.equal(addToCart(cart, '999', 1).length, MAX_LINES);
    cart = addToCart(cart, '200', 1);
    assert.equal(cart[0]?.qty, 2);
  });

  it('removes a line and counts items', () => {
    const cart = [{ productId: '101', qty: 2 }, { productId: '102', qty: 3 }];
    assert.equal(itemCount(cart), 5);
    assert.deepEqual(removeFromCart(cart, '101'), [{ productId: '102', qty: 3 }]);
  });
});

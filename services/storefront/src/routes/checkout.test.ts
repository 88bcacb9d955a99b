import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../../shared/src/upstream.ts';
import { decodeCart } from '../cart.ts';
import { answer, cartCookie, failing, fakeShop, form, ordersHandler, type FakeHandler } from '../fake-upstreams.ts';
import { lineIdempotencyKey } from './checkout.tsx';

const KEY = '2f1c7a0e-5b1e-4c1e-9d7e-3a6f1b2c4d5e';
const ONE_LAPTOP = cartCookie([{ productId: '101', qty: 2 }]);

const setCart = (res: Response) => {
  const line = res.headers.getSetCookie().find((l) => l.startsWith('shopmesh_cart='));
  return line?.split(';')[0]?.slice('shopmesh_cart='.length);
};
const headerOf = (call: { headers?: unknown } | undefined, name: string) => (call?.headers as Record<string, string> | undefined)?.[name];

describe('POST /checkout', () => {
  it('places the order with the form key, a token, and redirects to the order page with the cart cleared', async () => {
    const { app, orders, users } = fakeShop();
    const res = await app.request('/checkout', form({ idempotencyKey: KEY }, ONE_LAPTOP));
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/orders/5001?placed=1');
    assert.equal(setCart(res), '');
    const post = orders.calls.find((c) => c.method === 'POST');
    assert.equal(headerOf(post, 'idempotency-key'), lineIdempotencyKey(KEY, '101'));
    assert.equal(headerOf(post, 'authorization'), 'Bearer token-for-alice');
    assert.deepEqual(post?.json, { userId: 1, productId: 101, quantity: 2 });
    assert.deepEqual(users.calls.map((c) => c.path), ['/users/1', '/auth/token']);
    assert.deepEqual(users.calls[1]?.json, { username: 'alice' });
  });

  it('a double submit of the same form gives the same order, not a second one', async () => {
    const { app, orders } = fakeShop();
    const first = await app.request('/checkout', form({ idempotencyKey: KEY }, ONE_LAPTOP));
    const second = await app.request('/checkout', form({ idempotencyKey: KEY }, ONE_LAPTOP));
    assert.equal(second.headers.get('location'), first.headers.get('location'));
    const keys = orders.calls.filter((c) => c.method === 'POST').map((c) => headerOf(c, 'idempotency-key'));
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1]);
    const fresh = await app.request('/checkout', form({ idempotencyKey: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' }, ONE_LAPTOP));
    assert.equal(fresh.headers.get('location'), '/orders/5002?placed=1');
  });

  it('places one order per line, each with its own key, and links them all', async () => {
    const { app, orders } = fakeShop();
    const cookie = cartCookie([{ productId: '101', qty: 1 }, { productId: '102', qty: 3 }]);
    const res = await app.request('/checkout', form({ idempotencyKey: KEY }, cookie));
    assert.equal(res.headers.get('location'), '/orders/5001?placed=1&also=5002');
    const keys = orders.calls.filter((c) => c.method === 'POST').map((c) => headerOf(c, 'idempotency-key'));
    assert.deepEqual(keys, [lineIdempotencyKey(KEY, '101'), lineIdempotencyKey(KEY, '102')]);
  });

  it('says payments is unavailable and nothing was charged when orders answers 503, keeping the cart and the key', async () => {
    const { app, orders } = fakeShop();
    orders.handler = (req) => (req.method === 'POST' ? failing('orders', 'upstream_error', 503)(req) : answer('orders', 404, {}));
    const res = await app.request('/checkout', form({ idempotencyKey: KEY }, ONE_LAPTOP));
    assert.equal(res.status, 503);
    const page = await res.text();
    assert.match(page, /Payments or ordering is unavailable right now; you were not charged\./);
    assert.match(page, new RegExp(`name="idempotencyKey" value="${KEY}"`));
    assert.deepEqual(decodeCart(setCart(res)), [{ productId: '101', qty: 2 }]);
    assert.doesNotMatch(page, /UpstreamError|stack/);
  });

  for (const [failure, status, words] of [
    ['upstream_unavailable', 503, /Ordering is unavailable right now; you were not charged/],
    ['upstream_timeout', 504, /may still go through\. Placing it again is safe/],
    ['upstream_error', 502, /Placing the order again is safe/],
  ] as const) {
    it(`explains an orders ${failure} with a ${status}`, async () => {
      const { app, orders } = fakeShop();
      orders.handler = failing('orders', failure);
      const res = await app.request('/checkout', form({ idempotencyKey: KEY }, ONE_LAPTOP));
      assert.equal(res.status, status);
      assert.match(await res.text(), words);
    });
  }

  it('places no order when users cannot issue a token', async () => {
    const { app, orders, users } = fakeShop();
    users.handler = (req) => (req.path === '/auth/token' ? failing('users', 'upstream_unavailable')(req) : answer('users', 200, { id: 1, username: 'alice', name: 'Alice' }));
    const res = await app.request('/checkout', form({ idempotencyKey: KEY }, ONE_LAPTOP));
    assert.equal(res.status, 503);
    assert.match(await res.text(), /Sign-in \(users\) is unavailable right now, so no order was placed and you were not charged/);
    assert.equal(orders.calls.filter((c) => c.method === 'POST').length, 0);
  });

  it('shows why orders refused an order', async () => {
    const { app, orders } = fakeShop();
    orders.handler = (req) => (req.method === 'POST' ? answer('orders', 409, { error: { code: 'conflict', message: 'key reused with another body' } }) : answer('orders', 404, {}));
    const res = await app.request('/checkout', form({ idempotencyKey: KEY }, ONE_LAPTOP));
    assert.equal(res.status, 409);
    assert.match(await res.text(), /The order was refused: key reused with another body\. You were not charged\./);
  });

  it('after a partial failure keeps only the lines not yet ordered and lists the placed ones', async () => {
    const { app, orders } = fakeShop();
    const real: FakeHandler = ordersHandler();
    orders.handler = (req) => {
      if (req.method === 'POST' && (req.json as { productId: number }).productId === 102) throw new UpstreamError('orders', 'upstream_timeout', 'slow');
      return real(req);
    };
    const cookie = cartCookie([{ productId: '101', qty: 1 }, { productId: '102', qty: 1 }]);
    const res = await app.request('/checkout', form({ idempotencyKey: KEY }, cookie));
    assert.equal(res.status, 504);
    const page = await res.text();
    assert.match(page, /Already placed: <a href="\/orders\/5001">order #5001<\/a>/);
    assert.deepEqual(decodeCart(setCart(res)), [{ productId: '102', qty: 1 }]);
  });

  it('sends an empty cart back to the cart page and refuses a form without a valid key', async () => {
    const { app, orders } = fakeShop();
    const empty = await app.request('/checkout', form({ idempotencyKey: KEY }));
    assert.equal(empty.status, 303);
    assert.equal(empty.headers.get('location'), '/cart');
    for (const key of ['', 'not-a-uuid', `${KEY}x`]) {
      const res = await app.request('/checkout', form({ idempotencyKey: key }, ONE_LAPTOP));
      assert.equal(res.status, 400);
      assert.match(await res.text(), /This checkout form is out of date/);
    }
    assert.equal(orders.calls.length, 0);
  });
});

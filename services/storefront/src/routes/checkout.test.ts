import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../../shared/src/upstream.ts';
import { decodeCart } from '../cart.ts';
import { ALICE_TOKEN, answer, cartCookie, failing, fakeShop, form, ordersHandler, SIGNED_IN, type FakeHandler } from '../fake-upstreams.ts';
import { lineIdempotencyKey } from './checkout.tsx';

const KEY = '2f1c7a0e-5b1e-4c1e-9d7e-3a6f1b2c4d5e';
const FRESH = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const ONE_LAPTOP = `${cartCookie([{ productId: '101', qty: 2 }])}; ${SIGNED_IN}`;
const quote = { 'price-101': '99900', 'price-102': '59900' };
const checkout = (fields: Record<string, string> = { idempotencyKey: KEY, ...quote }, cookie = ONE_LAPTOP, origin?: string) => form(fields, cookie, origin);

const setCart = (res: Response) => {
  const line = res.headers.getSetCookie().find((l) => l.startsWith('shopmesh_cart='));
  return line?.split(';')[0]?.slice('shopmesh_cart='.length);
};
const headerOf = (call: { headers?: unknown } | undefined, name: string) => (call?.headers as Record<string, string> | undefined)?.[name];

describe('POST /checkout', () => {
  it('places the order with the form key, the shopper token and the confirmed price, and redirects with the cart cleared', async () => {
    const { app, orders, users } = fakeShop();
    const res = await app.request('/checkout', checkout());
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/orders/5001?placed=1');
    assert.equal(setCart(res), '');
    const post = orders.calls.find((c) => c.method === 'POST');
    assert.equal(headerOf(post, 'idempotency-key'), lineIdempotencyKey(KEY, '101'));
    assert.equal(headerOf(post, 'authorization'), `Bearer ${ALICE_TOKEN}`);
    assert.deepEqual(post?.json, { productId: 101, quantity: 2, unitPriceCents: 99900 });
    assert.equal(users.calls.length, 0, 'the session token is used; no new token per checkout');
  });

  it('sends a shopper who is not signed in to the sign-in page, placing nothing', async () => {
    const { app, orders } = fakeShop();
    const res = await app.request('/checkout', checkout(undefined, cartCookie([{ productId: '101', qty: 1 }])));
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/signin?next=/cart');
    assert.equal(orders.calls.length, 0);
  });

  it('refuses a form posted from another site (CSRF) with 403, placing nothing', async () => {
    const { app, orders } = fakeShop();
    const res = await app.request('/checkout', checkout(undefined, ONE_LAPTOP, 'https://evil.example'));
    assert.equal(res.status, 403);
    assert.match(await res.text(), /must be sent from a page of this shop/);
    const noOrigin = await app.request('/checkout', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: ONE_LAPTOP }, body: `idempotencyKey=${KEY}&price-101=99900` });
    assert.equal(noOrigin.status, 403);
    assert.equal(orders.calls.length, 0);
  });

  it('a double submit of the same form gives the same order, not a second one', async () => {
    const { app, orders } = fakeShop();
    const first = await app.request('/checkout', checkout());
    const second = await app.request('/checkout', checkout());
    assert.equal(second.headers.get('location'), first.headers.get('location'));
    const keys = orders.calls.filter((c) => c.method === 'POST').map((c) => headerOf(c, 'idempotency-key'));
    assert.deepEqual([keys.length, keys[0]], [2, keys[1]]);
    const fresh = await app.request('/checkout', checkout({ idempotencyKey: FRESH, ...quote }));
    assert.equal(fresh.headers.get('location'), '/orders/5002?placed=1');
  });

  it('places one order per line, each with its own key, and links them all', async () => {
    const { app, orders } = fakeShop();
    const cookie = `${cartCookie([{ productId: '101', qty: 1 }, { productId: '102', qty: 3 }])}; ${SIGNED_IN}`;
    const res = await app.request('/checkout', checkout(undefined, cookie));
    assert.equal(res.headers.get('location'), '/orders/5001?placed=1&also=5002');
    const keys = orders.calls.filter((c) => c.method === 'POST').map((c) => headerOf(c, 'idempotency-key'));
    assert.deepEqual(keys, [lineIdempotencyKey(KEY, '101'), lineIdempotencyKey(KEY, '102')]);
  });

  it('when the price changed, shows the new price for confirmation with a fresh key and charges nothing', async () => {
    const { app } = fakeShop({}, [FRESH]);
    const res = await app.request('/checkout', checkout({ idempotencyKey: KEY, 'price-101': '89900' }));
    assert.equal(res.status, 409);
    const page = await res.text();
    assert.match(page, /The price of Laptop has changed to €999\.00 a unit\. You were not charged\./);
    assert.match(page, new RegExp(`name="idempotencyKey" value="${FRESH}"`));
    assert.match(page, /name="price-101" value="99900"/);
    assert.deepEqual(decodeCart(setCart(res)), [{ productId: '101', qty: 2 }]);
  });

  it('a form without the confirmed price, or without a valid key, is out of date', async () => {
    const { app, orders } = fakeShop();
    for (const fields of <Array<Record<string, string>>>[{ idempotencyKey: KEY }, { idempotencyKey: KEY, 'price-101': 'free' }, { idempotencyKey: '', ...quote }, { idempotencyKey: 'not-a-uuid', ...quote }]) {
      const res = await app.request('/checkout', checkout(fields));
      assert.equal(res.status, 400, JSON.stringify(fields));
      assert.match(await res.text(), /This checkout form is out of date/);
    }
    assert.equal(orders.calls.length, 0);
  });

  it('says "not charged" only when orders proves it: payment_not_made and a refused connection', async () => {
    for (const [error, words] of [
      [new UpstreamError('orders', 'upstream_error', 'orders answered 503', { upstreamStatus: 503, answeredBy: 'orders', upstreamCode: 'payment_not_made' }), /Payments is unavailable right now; you were not charged\./],
      [new UpstreamError('orders', 'upstream_unavailable', 'refused', { neverSent: true }), /Ordering is unavailable right now; you were not charged\./],
    ] as const) {
      const { app, orders } = fakeShop();
      orders.handler = () => {
        throw error;
      };
      const res = await app.request('/checkout', checkout());
      assert.equal(res.status, 503);
      const page = await res.text();
      assert.match(page, words);
      assert.match(page, new RegExp(`name="idempotencyKey" value="${KEY}"`), 'the same key, so a retry completes the same order');
      assert.deepEqual(decodeCart(setCart(res)), [{ productId: '101', qty: 2 }]);
    }
  });

  for (const [name, error, status, words] of [
    ['a reset connection', new UpstreamError('orders', 'upstream_unavailable', 'reset'), 503, /could not confirm whether the order went through/],
    ['a mesh 503 without the orders identity', new UpstreamError('orders', 'upstream_error', 'orders answered 503', { upstreamStatus: 503 }), 502, /could not confirm whether the order went through/],
    ['orders unsure about the payment', new UpstreamError('orders', 'upstream_error', 'orders answered 502', { upstreamStatus: 502, answeredBy: 'orders', upstreamCode: 'payment_unconfirmed' }), 502, /could not confirm whether the order went through/],
    ['a timeout', new UpstreamError('orders', 'upstream_timeout', 'slow'), 504, /may still go through\. Placing it again is safe/],
  ] as const) {
    it(`never claims "not charged" after ${name}`, async () => {
      const { app, orders } = fakeShop();
      orders.handler = () => {
        throw error;
      };
      const res = await app.request('/checkout', checkout());
      assert.equal(res.status, status);
      const page = await res.text();
      assert.match(page, words);
      assert.doesNotMatch(page, /not charged/);
    });
  }

  it('explains a cancelled order and a refused one truthfully', async () => {
    const { app, orders } = fakeShop({}, [FRESH]);
    orders.handler = (req) => (req.method === 'POST' ? answer('orders', 409, { error: { code: 'order_cancelled', message: 'cancelled' } }) : answer('orders', 404, {}));
    const cancelled = await app.request('/checkout', checkout());
    assert.equal(cancelled.status, 409);
    const page = await cancelled.text();
    assert.match(page, /was cancelled because its payment could not be confirmed in time; you were not charged/);
    assert.match(page, new RegExp(`name="idempotencyKey" value="${FRESH}"`));
    orders.handler = (req) => (req.method === 'POST' ? answer('orders', 400, { error: { code: 'unknown_product', message: 'no product 101' } }) : answer('orders', 404, {}));
    assert.match(await (await app.request('/checkout', checkout())).text(), /The order was refused: no product 101\. You were not charged\./);
  });

  it('after a partial failure keeps only the lines not yet ordered and lists the placed ones', async () => {
    const { app, orders } = fakeShop();
    const real: FakeHandler = ordersHandler();
    orders.handler = (req) => {
      if (req.method === 'POST' && (req.json as { productId: number }).productId === 102) throw new UpstreamError('orders', 'upstream_timeout', 'slow');
      return real(req);
    };
    const cookie = `${cartCookie([{ productId: '101', qty: 1 }, { productId: '102', qty: 1 }])}; ${SIGNED_IN}`;
    const res = await app.request('/checkout', checkout(undefined, cookie));
    assert.equal(res.status, 504);
    assert.match(await res.text(), /Already placed: <a href="\/orders\/5001">order #5001<\/a>/);
    assert.deepEqual(decodeCart(setCart(res)), [{ productId: '102', qty: 1 }]);
  });

  it('sends an empty cart back to the cart page', async () => {
    const { app, orders } = fakeShop();
    const empty = await app.request('/checkout', checkout(undefined, SIGNED_IN));
    assert.equal(empty.status, 303);
    assert.equal(empty.headers.get('location'), '/cart');
    assert.equal(orders.calls.length, 0);
  });
});

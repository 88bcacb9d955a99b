import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCart } from '../cart.ts';
import { cartCookie, failing, fakeShop, form, html, SIGNED_IN } from '../fake-upstreams.ts';

const KEY = '2f1c7a0e-5b1e-4c1e-9d7e-3a6f1b2c4d5e';

function cookieValue(res: Response, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const [k, v] = pair!.split('=');
    if (k === name) return v ?? '';
  }
  return undefined;
}

describe('GET /cart', () => {
  it('says the cart is empty without a cookie', async () => {
    const { app } = fakeShop();
    const page = await (await app.request('/cart', html)).text();
    assert.match(page, /Your cart is empty/);
    assert.doesNotMatch(page, /action="\/checkout"/);
  });

  it('lists the lines with live names and prices, the shopper, and a checkout form with a fresh key per render', async () => {
    const { app } = fakeShop({}, [KEY, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee']);
    const cookie = `${cartCookie([{ productId: '101', qty: 2 }, { productId: '102', qty: 1 }])}; ${SIGNED_IN}`;
    const res = await app.request('/cart', { headers: { accept: 'text/html', cookie } });
    assert.equal(res.headers.get('cache-control'), 'no-store', 'the page carries the checkout key: never cached');
    const first = await res.text();
    assert.match(first, />Laptop</);
    assert.match(first, /€1,998\.00/);
    assert.match(first, /Total: €2,597\.00/);
    assert.match(first, /Ordering as Alice\. You will be charged €2,597\.00\./);
    assert.match(first, /Cart \(3\)/);
    assert.match(first, new RegExp(`name="idempotencyKey" value="${KEY}"`));
    assert.match(first, /name="price-101" value="99900"/);
    assert.match(first, /name="price-102" value="59900"/);
    const second = await (await app.request('/cart', { headers: { accept: 'text/html', cookie } })).text();
    assert.match(second, /name="idempotencyKey" value="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"/);
  });

  it('still renders when products is down, saying what is missing and offering no checkout without prices', async () => {
    const { app, products } = fakeShop();
    products.handler = failing('products', 'upstream_unavailable');
    const res = await app.request('/cart', { headers: { accept: 'text/html', cookie: `${cartCookie([{ productId: '101', qty: 1 }])}; ${SIGNED_IN}` } });
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /The catalogue \(products\) did not answer/);
    assert.match(page, /Product #101/);
    assert.doesNotMatch(page, /action="\/checkout"/);
    assert.match(page, /class="badge none" data-service="products"/);
  });

  it('asks a shopper who is not signed in to sign in instead of offering checkout', async () => {
    const { app } = fakeShop();
    const page = await (await app.request('/cart', { headers: { accept: 'text/html', cookie: cartCookie([{ productId: '101', qty: 1 }]) } })).text();
    assert.match(page, /href="\/signin\?next=\/cart"/);
    assert.doesNotMatch(page, /action="\/checkout"/);
  });

  it('ignores a tampered cookie', async () => {
    const { app } = fakeShop();
    const page = await (await app.request('/cart', { headers: { accept: 'text/html', cookie: 'shopmesh_cart=eyJub3QiOiJhIGNhcnQifQ' } })).text();
    assert.match(page, /Your cart is empty/);
  });
});

describe('POST /cart and /cart/remove', () => {
  it('adds a line, then more of it, and redirects to the cart', async () => {
    const { app } = fakeShop();
    const added = await app.request('/cart', form({ productId: '101', qty: '2' }));
    assert.equal(added.status, 303);
    assert.equal(added.headers.get('location'), '/cart');
    const cookie = `shopmesh_cart=${cookieValue(added, 'shopmesh_cart')}`;
    assert.deepEqual(decodeCart(cookieValue(added, 'shopmesh_cart')), [{ productId: '101', qty: 2 }]);
    const more = await app.request('/cart', form({ productId: '101', qty: '3' }, cookie));
    assert.deepEqual(decodeCart(cookieValue(more, 'shopmesh_cart')), [{ productId: '101', qty: 5 }]);
    assert.match(more.headers.getSetCookie()[0] ?? '', /HttpOnly/i);
    assert.doesNotMatch(more.headers.getSetCookie()[0] ?? '', /Secure/i, 'plain HTTP in dev');
    const https = await app.request('https://shop.example/cart', form({ productId: '101', qty: '1' }, undefined, 'https://shop.example'));
    assert.match(https.headers.getSetCookie()[0] ?? '', /; Secure/);
    const behindGateway = await app.request('/cart', { ...form({ productId: '101', qty: '1' }), headers: { ...(form({ productId: '101', qty: '1' }).headers as Record<string, string>), 'x-forwarded-proto': 'https' } });
    assert.match(behindGateway.headers.getSetCookie()[0] ?? '', /; Secure/);
  });

  it('removes a line and clears the cookie when the cart is empty', async () => {
    const { app } = fakeShop();
    const res = await app.request('/cart/remove', form({ productId: '101' }, cartCookie([{ productId: '101', qty: 1 }])));
    assert.equal(res.status, 303);
    assert.equal(cookieValue(res, 'shopmesh_cart'), '');
  });

  it('refuses bad lines with a 400 page, a non-form body with 415 and a huge one with 413', async () => {
    const { app } = fakeShop();
    for (const fields of <Array<Record<string, string>>>[{ productId: 'abc', qty: '1' }, { productId: '101', qty: '0' }, { productId: '101', qty: '11' }, { qty: '1' }]) {
      const res = await app.request('/cart', form(fields));
      assert.equal(res.status, 400, JSON.stringify(fields));
      assert.match(await res.text(), /Choose a product and a quantity/);
    }
    const json = await app.request('/cart', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"productId":"101"}' });
    assert.equal(json.status, 415);
    const huge = await app.request('/cart', form({ productId: '101', pad: 'x'.repeat(20_000) }));
    assert.equal(huge.status, 413);
  });
});

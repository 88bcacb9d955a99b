import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALICE_TOKEN, cartCookie, fakeShop, form, html, SIGNED_IN } from '../fake-upstreams.ts';

const sessionCookie = (res: Response) => res.headers.getSetCookie().find((l) => l.startsWith('shopmesh_session='));

describe('signing in and out', () => {
  it('shows a small form, and a seeded username gets the token as an HttpOnly session cookie', async () => {
    const { app, users } = fakeShop();
    const page = await (await app.request('/signin?next=/cart', html)).text();
    assert.match(page, /<form method="post" action="\/signin">/);
    assert.match(page, /name="next" value="\/cart"/);
    const res = await app.request('/signin', form({ username: 'Alice', next: '/cart' }));
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/cart');
    const cookie = sessionCookie(res)!;
    assert.match(cookie, new RegExp(`^shopmesh_session=${ALICE_TOKEN};`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.deepEqual(users.calls.at(-1)?.json, { username: 'alice' });
  });

  it('an unknown username is a 401 page and sets nothing; an outside next goes home', async () => {
    const { app } = fakeShop();
    const res = await app.request('/signin', form({ username: 'mallory' }));
    assert.equal(res.status, 401);
    assert.match(await res.text(), /There is no such account/);
    assert.equal(sessionCookie(res), undefined);
    for (const next of ['//evil.example', 'https://evil.example', '/\\evil']) {
      assert.equal((await app.request('/signin', form({ username: 'alice', next }))).headers.get('location'), '/', next);
    }
  });

  it('greets the signed-in shopper in the navigation and signs out with a form post', async () => {
    const { app } = fakeShop();
    const page = await (await app.request('/', { headers: { accept: 'text/html', cookie: SIGNED_IN } })).text();
    assert.match(page, /<span id="shopper">Alice<\/span>/);
    assert.match(page, /href="\/orders" id="my-orders-link">My orders</);
    const out = await app.request('/signout', form({}, SIGNED_IN));
    assert.equal(out.status, 303);
    assert.match(sessionCookie(out)!, /^shopmesh_session=;/);
  });

  it('refuses sign-in and sign-out posted from another site', async () => {
    const { app, users } = fakeShop();
    assert.equal((await app.request('/signin', form({ username: 'alice' }, undefined, 'http://evil.example'))).status, 403);
    assert.equal((await app.request('/signout', form({}, SIGNED_IN, 'http://evil.example'))).status, 403);
    assert.equal(users.calls.length, 0);
  });
});

describe('My orders', () => {
  it('lists the shopper\'s orders with the token, and asks to sign in without one', async () => {
    const { app, orders } = fakeShop();
    const checkout = await app.request('/checkout', form({ idempotencyKey: '2f1c7a0e-5b1e-4c1e-9d7e-3a6f1b2c4d5e', 'price-101': '99900' }, `${cartCookie([{ productId: '101', qty: 1 }])}; ${SIGNED_IN}`));
    assert.equal(checkout.status, 303);
    const res = await app.request('/orders', { headers: { accept: 'text/html', cookie: SIGNED_IN } });
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /<h1>My orders<\/h1>/);
    assert.match(page, /<a href="\/orders\/5001">#5001<\/a>/);
    assert.match(page, /€999\.00/);
    assert.equal((orders.calls.at(-1)?.headers as Record<string, string>).authorization, `Bearer ${ALICE_TOKEN}`);
    const anonymous = await app.request('/orders', html);
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), '/signin?next=/orders');
  });
});

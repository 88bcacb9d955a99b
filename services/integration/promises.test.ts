// Authentication, the confirmed price and the storefront's defences on real processes: users signs
// with a key pair this test wrote (so it can also sign forged tokens with the real key), products
// runs v2 (sale prices), and every check goes through the services' own ports.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startShop, type Shop } from '../../test/support/harness.ts';
import { call } from '../../test/support/http.ts';
import { createTestSigner, forgedTokens, signToken, type TestSigner } from '../../test/support/tokens.ts';
import { DEV_SERVICE_TOKEN } from '../shared/src/service-token.ts';
import { bearer, checkoutFields, FORM, ledger, mergeCookies, orderIdOf, placeOrder, signInAtStorefront, tokenFor } from './support.ts';

const SALE_PRICE = 110415; // products v2: 15 % off the laptop's 129900
let shop: Shop;
let signer: TestSigner;
let keyDir: string;
let alice: Record<string, string>;
let bob: Record<string, string>;

before(async () => {
  signer = await createTestSigner();
  keyDir = mkdtempSync(path.join(tmpdir(), 'shopmesh-jwt-'));
  writeFileSync(path.join(keyDir, 'private.pem'), signer.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(path.join(keyDir, 'public.pem'), signer.publicKey.export({ type: 'spki', format: 'pem' }));
  shop = await startShop({
    serviceEnv: {
      users: { JWT_PRIVATE_KEY_FILE: path.join(keyDir, 'private.pem'), JWT_PUBLIC_KEY_FILE: path.join(keyDir, 'public.pem') },
      products: { SERVICE_VERSION: 'v2' },
    },
  });
  alice = bearer(await tokenFor(shop.urls.users!, 'alice'));
  bob = bearer(await tokenFor(shop.urls.users!, 'bob'));
});
after(async () => {
  await shop?.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

const laptop = (unitPriceCents = SALE_PRICE) => ({ productId: 101, quantity: 1, unitPriceCents });

test('the users service publishes the key this test signs with', async () => {
  const jwks = (await call(`${shop.urls.users}/.well-known/jwks.json`)).json as { keys: Array<{ kid: string }> };
  assert.deepEqual(jwks.keys.map((k) => k.kid), [signer.kid]);
  assert.equal((await call(`${shop.urls.orders}/orders`, { headers: bearer(await signToken(signer, { sub: '1' })) })).status, 200);
});

test('a token for user 1 cannot act for user 2', async () => {
  const bobs = await placeOrder(shop.urls.orders!, randomUUID(), laptop(), bob);
  assert.equal(bobs.status, 201, bobs.text);
  const bobsOrder = orderIdOf(bobs);
  const forBob = await placeOrder(shop.urls.orders!, randomUUID(), { ...laptop(), userId: 2 }, alice);
  assert.equal(forBob.status, 403);
  assert.equal((await call(`${shop.urls.orders}/orders?user=2`, { headers: alice })).status, 403);
  assert.equal((await call(`${shop.urls.orders}/orders/${bobsOrder}`, { headers: alice })).status, 404);
  assert.equal((await call(`${shop.urls.orders}/orders/${bobsOrder}`)).status, 401);
  const mine = (await call(`${shop.urls.orders}/orders`, { headers: alice })).json as { orders: Array<{ user_id: number }> };
  assert.ok(mine.orders.every((o) => o.user_id === 1), 'the list holds only the token user\'s orders');
  assert.equal((await call(`${shop.urls.orders}/orders/${bobsOrder}`, { headers: bob })).status, 200);
  // Bob's key replayed with Alice's token is another request, never Bob's order.
  const key = randomUUID();
  assert.equal((await placeOrder(shop.urls.orders!, key, laptop(), bob)).status, 201);
  assert.equal((await placeOrder(shop.urls.orders!, key, laptop(), alice)).status, 409);
});

test('the forged-token corpus is refused with 401 by orders, and nothing is ordered', async () => {
  const before = ((await call(`${shop.urls.orders}/orders?user=2&limit=100`, { headers: bob })).json as { orders: unknown[] }).orders.length;
  for (const [name, token] of Object.entries(await forgedTokens(signer, '2'))) {
    assert.equal((await call(`${shop.urls.orders}/orders`, { headers: bearer(token) })).status, 401, `GET with ${name}`);
    const res = await placeOrder(shop.urls.orders!, randomUUID(), laptop(), bearer(token));
    assert.equal(res.status, 401, `POST with ${name}: ${res.text}`);
  }
  const afterwards = ((await call(`${shop.urls.orders}/orders?user=2&limit=100`, { headers: bob })).json as { orders: unknown[] }).orders.length;
  assert.equal(afterwards, before);
});

test('payments charges only for orders: no service token 401, a wrong one 403; reads stay open for the ledger', async () => {
  const charge = { orderId: '777001', userId: 1, amountCents: 100 };
  const key = { 'idempotency-key': randomUUID() };
  assert.equal((await call(`${shop.urls.payments}/payments`, { method: 'POST', json: charge, headers: key })).status, 401);
  assert.equal((await call(`${shop.urls.payments}/payments`, { method: 'POST', json: charge, headers: { ...key, ...alice } })).status, 403, 'a shopper token is not the service token');
  assert.equal((await ledger(shop.urls.payments!, '777001')).length, 0);
  assert.equal((await call(`${shop.urls.payments}/payments`, { method: 'POST', json: charge, headers: { ...key, ...bearer(DEV_SERVICE_TOKEN) } })).status, 201, 'the development token works in development');
});

test('under products v2 the confirmed sale price is what is charged; a stale quote is 409 price_changed with the new price', async () => {
  const stale = await placeOrder(shop.urls.orders!, randomUUID(), laptop(129900), alice);
  assert.equal(stale.status, 409, stale.text);
  const error = (stale.json as { error: { code: string; unit_price_cents: number } }).error;
  assert.deepEqual([error.code, error.unit_price_cents], ['price_changed', SALE_PRICE]);
  const ok = await placeOrder(shop.urls.orders!, randomUUID(), laptop(), alice);
  assert.equal(ok.status, 201, ok.text);
  const charges = await ledger(shop.urls.payments!, orderIdOf(ok));
  assert.deepEqual(charges.map((c) => [c.amountCents, c.currency]), [[SALE_PRICE, 'EUR']]);
});

test('the storefront: the cart quotes the sale price, a stale quote asks for confirmation, and the confirmed order charges the shown total', async () => {
  const storefront = shop.urls.storefront!;
  let cookie = await signInAtStorefront(storefront);
  cookie = mergeCookies(cookie, await call(`${storefront}/cart`, { method: 'POST', body: 'productId=101&qty=1', headers: { ...FORM, origin: storefront, cookie } }));
  const cart = await call(`${storefront}/cart`, { headers: { cookie } });
  assert.equal(cart.headers['cache-control'], 'no-store');
  assert.match(cart.text, /You will be charged €1,104\.15\./);
  const fields = checkoutFields(cart.text);
  assert.equal(fields['price-101'], String(SALE_PRICE));

  // A quote rendered by v1 (the list price) reaches orders, which re-prices through v2.
  const stale = await call(`${storefront}/checkout`, { method: 'POST', body: new URLSearchParams({ ...fields, 'price-101': '129900' }).toString(), headers: { ...FORM, origin: storefront, cookie } });
  assert.equal(stale.status, 409);
  assert.match(stale.text, /The price of Laptop has changed to €1,104\.15 a unit\. You were not charged\./);
  const confirm = checkoutFields(stale.text);
  assert.notEqual(confirm.idempotencyKey, fields.idempotencyKey, 'a fresh key for the confirmation');
  const placed = await call(`${storefront}/checkout`, { method: 'POST', body: new URLSearchParams(confirm).toString(), headers: { ...FORM, origin: storefront, cookie } });
  assert.equal(placed.status, 303, placed.text.slice(0, 300));
  const orderId = /^\/orders\/(\d+)/.exec(String(placed.headers.location))![1]!;
  assert.deepEqual((await ledger(shop.urls.payments!, orderId)).map((c) => c.amountCents), [SALE_PRICE]);
  const page = await call(`${storefront}/orders/${orderId}`, { headers: { cookie } });
  assert.match(page.text, /€1,104\.15/);
  assert.doesNotMatch(page.text, /\$/);
});

test('CSRF: a checkout posted from a foreign Origin is refused and orders nothing', async () => {
  const storefront = shop.urls.storefront!;
  let cookie = await signInAtStorefront(storefront);
  cookie = mergeCookies(cookie, await call(`${storefront}/cart`, { method: 'POST', body: 'productId=101&qty=1', headers: { ...FORM, origin: storefront, cookie } }));
  const fields = checkoutFields((await call(`${storefront}/cart`, { headers: { cookie } })).text);
  const count = async () => ((await call(`${shop.urls.orders}/orders?limit=100`, { headers: alice })).json as { orders: unknown[] }).orders.length;
  const before = await count();
  const body = new URLSearchParams(fields).toString();
  for (const origin of ['https://evil.example', 'null']) {
    const res = await call(`${storefront}/checkout`, { method: 'POST', body, headers: { ...FORM, origin, cookie } });
    assert.equal(res.status, 403, `Origin ${origin}`);
  }
  const crossSite = await call(`${storefront}/checkout`, { method: 'POST', body, headers: { ...FORM, 'sec-fetch-site': 'cross-site', cookie } });
  assert.equal(crossSite.status, 403);
  assert.equal(await count(), before);
  const headers = (await call(`${storefront}/`)).headers;
  assert.match(String(headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'same-origin');
});

test('the admin port refuses a DNS-rebinding Host and simple (form-like) state changes', async () => {
  const admin = shop.adminUrls.products!;
  const rebound = await call(`${admin}/admin/switches`, { method: 'PUT', json: { alwaysFail: true }, headers: { host: 'rebind.attacker.test' } });
  assert.equal(rebound.status, 403);
  const simple = await call(`${admin}/admin/stats/reset`, { method: 'POST', body: 'x=1', headers: FORM });
  assert.equal(simple.status, 415);
  assert.equal(((await call(`${admin}/admin/switches`)).json as { alwaysFail: boolean }).alwaysFail, false, 'nothing changed');
  assert.equal((await call(`${admin}/admin/stats`, { method: 'DELETE' })).status, 200);
  assert.equal((await call(`${admin}/admin/stats/reset`, { method: 'POST', json: {} })).status, 200);
});

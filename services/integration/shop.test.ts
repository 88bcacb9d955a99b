// The whole shop as real processes on 127.0.0.1: the reference calls, a checkout, idempotency and
// trace propagation, proved through the services' own answers, ledger and request log lines.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { assertContains } from '../../test/support/contains.ts';
import { listServices } from '../../scripts/lib/services.ts';
import { startShop, type Shop } from '../../test/support/harness.ts';
import { call } from '../../test/support/http.ts';
import { bearer, checkoutThroughStorefront, LAPTOP, ledger, notifications, orderIdOf, placeOrder, tokenFor } from './support.ts';

// The storefront is optional here: its tests are registered only when the service exists.
const hasStorefront = listServices().some((s) => s.name === 'storefront');

let shop: Shop;
let auth: Record<string, string>;
before(async () => {
  shop = await startShop();
  auth = bearer(await tokenFor(shop.urls.users!));
});
after(() => shop?.stop());

test('the three reference calls are public demo records: plain GETs without a token answer Alice, the Laptop and order 5001', async () => {
  const user = await call(`${shop.urls.users}/users/1`);
  assert.equal(user.status, 200, user.text);
  assertContains(user.json, { name: 'Alice' }, 'users 1');

  const product = await call(`${shop.urls.products}/products/101`);
  assert.equal(product.status, 200, product.text);
  assertContains(product.json, { name: 'Laptop' }, 'products 101');

  const order = await call(`${shop.urls.orders}/orders/5001`);
  assert.equal(order.status, 200, order.text);
  assertContains(order.json, { order_id: '5001', user: { name: 'Alice' }, product: { name: 'Laptop' } }, 'orders 5001');
  assert.equal(order.headers['x-service'], 'orders');
  assert.equal(order.headers['x-service-version'], 'v1');
  assert.equal(order.headers['x-pod'], 'orders-test');
});

test('a checkout charges once through payments and records a notification', async () => {
  const key = randomUUID();
  const res = await placeOrder(shop.urls.orders!, key, { ...LAPTOP, quantity: 2 }, auth);
  assert.ok(res.status === 200 || res.status === 201, `POST /orders answered ${res.status}: ${res.text}`);
  const orderId = orderIdOf(res);
  assertContains(res.json, { user: { name: 'Alice' }, product: { name: 'Laptop' } });

  const charges = await ledger(shop.urls.payments!, orderId);
  assert.equal(charges.length, 1, `one charge in the ledger: ${JSON.stringify(charges)}`);

  const got = await call(`${shop.urls.orders}/orders/${orderId}`, { headers: auth });
  assert.equal(got.status, 200, 'the new order can be read back');
  assertContains(got.json, { order_id: orderId });

  const messages = await notifications(shop.urls.notifications!);
  assert.ok(messages.some((m) => JSON.stringify(m).includes(orderId)), `a notification names order ${orderId}: ${JSON.stringify(messages).slice(0, 500)}`);
});

if (hasStorefront) test('a checkout through the storefront places an order that orders, payments and notifications all know', async () => {
  const { cart, checkout, cookie } = await checkoutThroughStorefront(shop.urls.storefront!, 101);
  assert.ok(cart.status === 303 || cart.status === 302 || cart.status === 200, `POST /cart answered ${cart.status}`);
  assert.equal(checkout.status, 303, `POST /checkout answered ${checkout.status}: ${checkout.text.slice(0, 400)}`);
  const location = String(checkout.headers.location ?? '');
  const match = /^\/orders\/([^?]+)\?placed=1/.exec(location);
  assert.ok(match, `redirected to the order page, got "${location}"`);
  const orderId = decodeURIComponent(match[1]!);
  assert.equal((await ledger(shop.urls.payments!, orderId)).length, 1);
  assert.ok((await notifications(shop.urls.notifications!)).some((m) => JSON.stringify(m).includes(orderId)));
  const page = await call(`${shop.urls.storefront}${location}`, { headers: { cookie } });
  assert.equal(page.status, 200);
  assert.match(page.text, /Laptop/);
  assert.match(page.text, /€1,299\.00/);
  const mine = await call(`${shop.urls.storefront}/orders`, { headers: { cookie } });
  assert.equal(mine.status, 200);
  assert.match(mine.text, new RegExp(`href="/orders/${orderId}"`), 'My orders lists the new order');
});

test('an Idempotency-Key retried five times gives one order and one charge', async () => {
  const key = randomUUID();
  const body = { ...LAPTOP, quantity: 1 };
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const res = await placeOrder(shop.urls.orders!, key, body, auth);
    assert.ok(res.status === 200 || res.status === 201, `attempt ${i + 1} answered ${res.status}: ${res.text}`);
    ids.add(orderIdOf(res));
  }
  assert.equal(ids.size, 1, `every retry answers the same order: ${[...ids].join(', ')}`);
  assert.equal((await ledger(shop.urls.payments!, [...ids][0]!)).length, 1);
});

test('an Idempotency-Key sent five times at once gives one order and one charge', async () => {
  const key = randomUUID();
  const body = { ...LAPTOP, quantity: 3 };
  const answers = await Promise.all(Array.from({ length: 5 }, () => placeOrder(shop.urls.orders!, key, body, auth)));
  // A duplicate still in progress may be told so with 409; it must never become a second order.
  for (const a of answers) assert.ok([200, 201, 409].includes(a.status), `answered ${a.status}: ${a.text}`);
  const placed = answers.filter((a) => a.status === 200 || a.status === 201);
  assert.ok(placed.length >= 1, 'at least one answer carries the order');
  const ids = new Set(placed.map(orderIdOf));
  assert.equal(ids.size, 1, `one order for the key: ${[...ids].join(', ')}`);
  // A retry after the dust settles answers that same order.
  const retry = await placeOrder(shop.urls.orders!, key, body, auth);
  assert.equal(orderIdOf(retry), [...ids][0]);
  assert.equal((await ledger(shop.urls.payments!, [...ids][0]!)).length, 1, 'one charge, even for concurrent duplicates');
});

test('a traceparent reaches every downstream service, as their request log lines show', async () => {
  const traceId = randomBytes(16).toString('hex');
  const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  if (hasStorefront) {
    // storefront → users (token) → orders → users, products, payments, notifications
    const { checkout } = await checkoutThroughStorefront(shop.urls.storefront!, 101, { traceparent });
    assert.equal(checkout.status, 303, checkout.text.slice(0, 400));
  } else {
    const res = await placeOrder(shop.urls.orders!, randomUUID(), { ...LAPTOP, quantity: 1 }, { traceparent, ...auth });
    assert.equal(res.status, 201, res.text);
  }

  assert.ok(shop.names.length >= 5, `the whole shop runs: ${shop.names.join(', ')}`);
  for (const service of shop.names) {
    const line = await shop
      .waitForLog(service, (l) => l.json?.msg === 'request' && l.json.traceId === traceId, 10_000)
      .catch(() => undefined);
    const seen = shop.jsonLogs(service).filter((j) => j.msg === 'request').slice(-5);
    assert.ok(line, `${service} logged no request with trace id ${traceId}; its last request lines: ${JSON.stringify(seen)}`);
  }
});

// A corpus of malformed requests against every service's inputs: each must get a 4xx with the error
// shape (never a 2xx, a 5xx or a stack trace), and every process must still be running afterwards.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { listServices } from '../../scripts/lib/services.ts';
import { startShop, type Shop } from '../../test/support/harness.ts';
import { call, type CallOptions } from '../../test/support/http.ts';
import { DEV_SERVICE_TOKEN } from '../shared/src/service-token.ts';
import { bearer, FORM, tokenFor } from './support.ts';

let shop: Shop;
let auth: Record<string, string>;
before(async () => {
  shop = await startShop();
  auth = bearer(await tokenFor(shop.urls.users!));
});
after(() => shop?.stop());

const JSON_TYPE = { 'content-type': 'application/json' };

/** Bodies that no JSON endpoint of the shop should accept. */
function badBodies(valid: Record<string, unknown>): { name: string; options: CallOptions }[] {
  const raw = (name: string, body: string | Buffer, headers: Record<string, string> = JSON_TYPE) => ({ name, options: { body, headers } });
  const json = (name: string, value: unknown) => raw(name, JSON.stringify(value));
  const first = Object.keys(valid)[0]!;
  return [
    raw('broken JSON', '{"userId": 1, "productId": '),
    raw('a lone brace', '{'),
    raw('empty body', ''),
    raw('null', 'null'),
    raw('an array', '[]'),
    raw('a string', '"hello"'),
    raw('invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
    raw('deeply nested', `${'['.repeat(20_000)}${']'.repeat(20_000)}`),
    raw('a number too large for a double', `{"${first}": 1e400}`),
    raw('huge body (5 MB)', JSON.stringify({ ...valid, padding: 'x'.repeat(5 * 1024 * 1024) })),
    raw('text/plain content type', JSON.stringify(valid), { 'content-type': 'text/plain' }),
    raw('no content type', JSON.stringify(valid), {}),
    json('wrong types (strings for numbers)', Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, typeof v === 'number' ? String(v) : 42]))),
    json('wrong types (objects everywhere)', Object.fromEntries(Object.keys(valid).map((k) => [k, { nested: true }]))),
    json('unknown fields', { ...valid, isAdmin: true, price: 0 }),
    raw('__proto__ key', `{"__proto__": {"isAdmin": true}, ${JSON.stringify(valid).slice(1)}`),
    raw('constructor.prototype key', `{"constructor": {"prototype": {"isAdmin": true}}, ${JSON.stringify(valid).slice(1)}`),
    json('unicode look-alike digits', Object.fromEntries(Object.entries(valid).map(([k, v]) => [k, typeof v === 'number' ? '١٠١' : '𝟙']))),
    json('every field missing', {}),
  ];
}

function assertClientError(label: string, res: Awaited<ReturnType<typeof call>>): void {
  assert.ok(res.status >= 400 && res.status < 500, `${label}: expected a 4xx, got ${res.status || res.error} ${res.text.slice(0, 300)}`);
  assert.doesNotMatch(res.text, /\n\s+at .+:\d+:\d+/, `${label}: the answer carries a stack trace`);
  if (String(res.headers['content-type'] ?? '').includes('json')) {
    const error = (res.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    assert.ok(typeof error?.code === 'string' && typeof error.message === 'string', `${label}: error shape {"error":{"code","message"}}: ${res.text.slice(0, 200)}`);
  }
}

test('malformed POST bodies get only 4xx from orders, payments, notifications and users', async () => {
  const targets: { service: string; path: string; valid: Record<string, unknown>; headers?: () => Record<string, string> }[] = [
    { service: 'orders', path: '/orders', valid: { productId: 101, quantity: 1, unitPriceCents: 129900 }, headers: () => ({ 'idempotency-key': randomUUID(), ...auth }) },
    { service: 'payments', path: '/payments', valid: { orderId: '6001', userId: 1, amountCents: 2500 }, headers: () => ({ 'idempotency-key': randomUUID(), ...bearer(DEV_SERVICE_TOKEN) }) },
    { service: 'notifications', path: '/notifications', valid: { orderId: '6001', message: 'hello' } },
    { service: 'users', path: '/auth/token', valid: { userId: 1 } },
  ];
  for (const target of targets) {
    for (const { name, options } of badBodies(target.valid)) {
      const res = await call(`${shop.urls[target.service]}${target.path}`, {
        ...options,
        method: 'POST',
        headers: { ...options.headers, ...target.headers?.() },
        timeoutMs: 15_000,
      });
      assertClientError(`${target.service} POST ${target.path} with ${name}`, res);
    }
  }
});

test('orders refuses negative, zero and fractional quantities and a missing or oversized Idempotency-Key', async () => {
  const url = `${shop.urls.orders}/orders`;
  for (const quantity of [-1, 0, 1.5, -1e9]) {
    assertClientError(`quantity ${quantity}`, await call(url, { json: { productId: 101, quantity, unitPriceCents: 129900 }, headers: { 'idempotency-key': randomUUID(), ...auth } }));
  }
  assertClientError('no Idempotency-Key', await call(url, { json: { productId: 101, quantity: 1, unitPriceCents: 129900 }, headers: auth }));
  assertClientError('a 4 kB Idempotency-Key', await call(url, { json: { productId: 101, quantity: 1, unitPriceCents: 129900 }, headers: { 'idempotency-key': 'k'.repeat(4096), ...auth } }));
  assertClientError('an unknown product', await call(url, { json: { productId: 999_999, quantity: 1, unitPriceCents: 1 }, headers: { 'idempotency-key': randomUUID(), ...auth } }));
});

test('odd ids in paths get 4xx, never an object from the prototype chain', async () => {
  const ids = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '-1', '0', '1.5', '1e3', 'abc', '%F0%9F%92%BB', '%00', '%2e%2e', "1'%20OR%20'1'='1", '9'.repeat(400)];
  const paths = [
    ['users', '/users/'],
    ['products', '/products/'],
    ['orders', '/orders/'],
  ] as const;
  for (const [service, prefix] of paths) {
    for (const id of ids) assertClientError(`${service} GET ${prefix}${id}`, await call(`${shop.urls[service]}${prefix}${id}`));
  }
  for (const id of ids) assertClientError(`payments GET /payments/${id}`, await call(`${shop.urls.payments}/payments/${id}`));
  assertClientError('an unknown route', await call(`${shop.urls.products}/no/such/route`));
});

// Registered once the storefront service exists.
if (listServices().some((s) => s.name === 'storefront')) test('the storefront refuses malformed forms with 4xx and no stack trace', async () => {
  // From the shop's own origin, so the forms' validation (not the CSRF check) is what answers.
  const form = { ...FORM, origin: shop.urls.storefront! };
  const cases: [string, CallOptions & { path: string }][] = [
    ['cart without a product', { path: '/cart', body: 'qty=1', headers: form }],
    ['cart with __proto__ as product', { path: '/cart', body: 'productId=__proto__&qty=1', headers: form }],
    ['cart with a negative quantity', { path: '/cart', body: 'productId=101&qty=-3', headers: form }],
    ['cart with a unicode quantity', { path: '/cart', body: `productId=101&qty=${encodeURIComponent('١')}`, headers: form }],
    ['cart as JSON', { path: '/cart', body: '{"productId":101}', headers: JSON_TYPE }],
    ['checkout without a key', { path: '/checkout', body: '', headers: form }],
    ['checkout with a bad key', { path: '/checkout', body: 'idempotencyKey=%00%00', headers: form }],
    ['checkout with a huge body', { path: '/checkout', body: `idempotencyKey=${'a'.repeat(5 * 1024 * 1024)}`, headers: form }],
  ];
  for (const [name, { path, ...options }] of cases) {
    assertClientError(`storefront POST ${path}: ${name}`, await call(`${shop.urls.storefront}${path}`, { ...options, method: 'POST', timeoutMs: 15_000 }));
  }
  assertClientError('storefront product __proto__', await call(`${shop.urls.storefront}/products/__proto__`));
});

test('every process is still alive and healthy after the corpus', async () => {
  for (const service of shop.names) {
    assert.equal(shop.isRunning(service), true, `${service} died; stderr:\n${shop.stderr(service)}`);
    const health = await call(`${shop.urls[service]}/healthz`);
    assert.equal(health.status, 200, `${service} /healthz answered ${health.status || health.error}`);
  }
});

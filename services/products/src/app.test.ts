import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testRuntime } from '../../shared/src/testing.ts';
import { createApp } from './app.ts';

const v1 = () => createApp({ runtime: testRuntime({ service: 'products', serviceVersion: 'v1', podName: 'products-v1-a' }) });
const v2 = () => createApp({ runtime: testRuntime({ service: 'products', serviceVersion: 'v2' }) });

test('GET /products/101 contains the reference body', async () => {
  const res = await v1().request('/products/101');
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.name, 'Laptop');
  assert.equal(body.id, 101);
  assert.equal(res.headers.get('x-service'), 'products');
  assert.equal(res.headers.get('x-service-version'), 'v1');
  assert.equal(res.headers.get('x-pod'), 'products-v1-a');
});

test('GET /products lists the catalogue', async () => {
  const body = (await (await v1().request('/products')).json()) as { products: Array<{ id: number; name: string }> };
  assert.ok(body.products.length >= 3);
  assert.ok(body.products.some((p) => p.id === 101 && p.name === 'Laptop'));
  const first = (await (await v1().request('/products?limit=2')).json()) as { products: Array<{ id: number }>; next_cursor: string };
  assert.deepEqual(first.products.map((p) => p.id), [101, 102]);
  const next = (await (await v1().request(`/products?limit=2&cursor=${first.next_cursor}`)).json()) as { products: Array<{ id: number }> };
  assert.deepEqual(next.products.map((p) => p.id), [103, 104]);
  assert.equal((await v1().request('/products?limit=500')).status, 400);
});

test('v2 adds rating and sale price and keeps the v1 fields', async () => {
  const one = (await (await v1().request('/products/101')).json()) as Record<string, unknown>;
  const two = (await (await v2().request('/products/101')).json()) as Record<string, unknown>;
  assert.equal(one.rating, undefined);
  assert.equal(typeof two.rating, 'number');
  assert.ok((two.salePriceCents as number) < (two.priceCents as number));
  for (const key of Object.keys(one)) assert.deepEqual(two[key], one[key], key);
  const list = (await (await v2().request('/products')).json()) as { products: Array<Record<string, unknown>> };
  assert.ok(list.products.every((p) => typeof p.rating === 'number'));
});

test('non-numeric ids are 400 and unknown ids a JSON 404', async () => {
  for (const id of ['abc', '-1', '1.5', '%F0%9F%92%A9', '1234567890123', '__proto__']) {
    const res = await v1().request(`/products/${id}`);
    assert.equal(res.status, 400, id);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_parameter');
  }
  const missing = await v1().request('/products/999');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'product_not_found');
});

test('unknown routes and methods are JSON 404s', async () => {
  for (const [method, path] of [['GET', '/nope'], ['POST', '/products'], ['DELETE', '/products/101']] as const) {
    const res = await v1().request(path, { method });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.headers.get('content-type'), 'application/json');
  }
});

test('the error switch makes a share of product requests fail', async () => {
  const rolls = [0.1, 0.9];
  let i = 0;
  const runtime = testRuntime({ service: 'products' }, { random: () => rolls[i++ % 2]! });
  runtime.switches.update({ errorPercent: 50, errorStatus: 503 });
  const app = createApp({ runtime });
  assert.equal((await app.request('/products/101')).status, 503);
  assert.equal((await app.request('/products/101')).status, 200);
});

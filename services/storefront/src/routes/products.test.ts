import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failing, fakeShop, html, productsHandler } from '../fake-upstreams.ts';

describe('GET /', () => {
  it('lists the products with a badge naming the products version and pod', async () => {
    const { app } = fakeShop();
    const res = await app.request('/', html);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<a href="\/products\/101">Laptop<\/a>/);
    assert.match(page, /<a href="\/products\/102">Phone<\/a>/);
    assert.match(page, /data-service="products" data-version="v1" data-pod="products-v1-abc12"/);
    assert.match(page, /€999\.00/);
  });

  it('shows what v2 adds: a rating and a sale price', async () => {
    const { app, products } = fakeShop();
    products.handler = productsHandler('v2');
    const page = await (await app.request('/', html)).text();
    assert.match(page, /data-version="v2"/);
    assert.match(page, /<s>€999\.00<\/s><span class="sale">€899\.00<\/span>/);
    assert.match(page, /class="rating"/);
  });

  it('forwards the trace and routing headers to products', async () => {
    const { app, products } = fakeShop();
    await app.request('/', { headers: { accept: 'text/html', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-user-group': 'beta', 'x-request-id': 'req-1' } });
    const headers = products.calls[0]?.headers as Record<string, string>;
    assert.equal(headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.equal(headers['x-user-group'], 'beta');
    assert.equal(headers['x-request-id'], 'req-1');
  });

  for (const [failure, status, words] of [
    ['upstream_unavailable', 503, /is unavailable right now/],
    ['upstream_timeout', 504, /did not answer in time/],
    ['upstream_error', 502, /ran into a problem/],
  ] as const) {
    it(`renders a friendly ${status} page when products fails with ${failure}`, async () => {
      const { app, products } = fakeShop();
      products.handler = failing('products', failure);
      const res = await app.request('/', html);
      assert.equal(res.status, status);
      const page = await res.text();
      assert.match(page, /The catalogue \(products\)/);
      assert.match(page, words);
      assert.doesNotMatch(page, /UpstreamError|at .*\.ts:\d+/);
    });
  }

  it('treats a product list that breaks the contract as an upstream error', async () => {
    const { app, products } = fakeShop();
    products.handler = () => ({ status: 200, headers: {}, body: { nope: true } });
    assert.equal((await app.request('/', html)).status, 502);
  });
});

describe('GET /products/:id', () => {
  it('shows one product with an add-to-cart form', async () => {
    const { app, products } = fakeShop();
    const res = await app.request('/products/101', html);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /<h1>Laptop<\/h1>/);
    assert.match(page, /<form method="post" action="\/cart"/);
    assert.match(page, /name="productId" value="101"/);
    assert.equal(products.calls[0]?.path, '/products/101');
  });

  it('answers a friendly 404 for an unknown product, and for a malformed id without calling products', async () => {
    const { app, products } = fakeShop();
    const unknown = await app.request('/products/999', html);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /There is no such product/);
    const malformed = await app.request('/products/..%2Fadmin', html);
    assert.equal(malformed.status, 404);
    assert.equal(products.calls.length, 1);
  });
});

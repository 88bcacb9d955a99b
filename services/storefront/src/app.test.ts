import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { UpstreamError } from '../../shared/src/upstream.ts';
import { fakeShop, html } from './fake-upstreams.ts';

describe('storefront app', () => {
  it('answers unknown paths with a 404 page for browsers and the JSON error shape otherwise', async () => {
    const { app } = fakeShop();
    const page = await app.request('/nope', html);
    assert.equal(page.status, 404);
    assert.match(await page.text(), /There is no such page in the shop/);
    const api = await app.request('/nope');
    assert.equal(api.status, 404);
    assert.deepEqual(((await api.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('turns an unexpected error into a plain 500 page without internals', async () => {
    const { app, products } = fakeShop();
    products.handler = () => {
      throw new TypeError('secret internal detail');
    };
    const res = await app.request('/', html);
    assert.equal(res.status, 500);
    const page = await res.text();
    assert.match(page, /The shop ran into a problem/);
    assert.doesNotMatch(page, /secret internal detail|TypeError/);
  });

  it('sends the security headers: a CSP with a style nonce, nosniff, frame-ancestors none, a referrer policy; and no-store', async () => {
    const { app } = fakeShop();
    const res = await app.request('/', html);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const nonce = /style-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(await res.text(), new RegExp(`<style nonce="${nonce.replace(/[+/=]/g, '\\$&')}">`));
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'same-origin');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('error pages carry the badges: the storefront\'s own and the failing upstream\'s version and pod', async () => {
    const { app, products } = fakeShop();
    products.handler = () => {
      throw new UpstreamError('products', 'upstream_error', 'products answered 503', { upstreamStatus: 503, answeredBy: 'products', served: { version: 'v2', pod: 'products-v2-bad' } });
    };
    const res = await app.request('/', html);
    assert.equal(res.status, 502);
    const page = await res.text();
    assert.match(page, /data-service="storefront" data-version="v1" data-pod="storefront-test"/);
    assert.match(page, /data-service="products" data-version="v2" data-pod="products-v2-bad"/);
    assert.match(await (await app.request('/mesh', html)).text(), /data-service="storefront"/);
  });

  it('a product with a malformed currency is a 502 page, not a 500', async () => {
    const { app, products } = fakeShop();
    products.handler = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: { products: [{ id: 101, name: 'Laptop', priceCents: 1, currency: 'EURO' }] } });
    const res = await app.request('/', html);
    assert.equal(res.status, 502);
    assert.match(await res.text(), /The catalogue \(products\) ran into a problem/);
  });

  it('names the storefront version and pod in the footer of every page', async () => {
    const { app } = fakeShop();
    assert.match(await (await app.request('/mesh', html)).text(), /Page rendered by storefront v1 on storefront-test\./);
  });
});

describe('request id', () => {
  it('forwards the request id the shared service app chose, so log lines and upstream calls agree', async () => {
    const { app, products } = fakeShop();
    const outer = new Hono<{ Variables: { requestId: string } }>();
    outer.use('*', async (c, next) => {
      c.set('requestId', 'chosen-by-observe');
      await next();
    });
    outer.route('/', app);
    assert.equal((await outer.request('/', html)).status, 200);
    assert.equal((products.calls[0]?.headers as Record<string, string>)['x-request-id'], 'chosen-by-observe');
  });
});

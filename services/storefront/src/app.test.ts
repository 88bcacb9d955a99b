import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
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

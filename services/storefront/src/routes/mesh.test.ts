import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../../shared/src/upstream.ts';
import vm from 'node:vm';
import { answer, failing, fakeShop, html } from '../fake-upstreams.ts';

describe('GET /mesh', () => {
  it('renders the chart skeleton with the default pace and window', async () => {
    const { app } = fakeShop();
    const res = await app.request('/mesh', html);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /id="mesh" data-endpoint="\/mesh\/sample" data-rate="10" data-window="100"/);
    for (const id of ['mesh-total', 'mesh-error-rate', 'mesh-p50', 'mesh-p95', 'mesh-versions', 'mesh-pods', 'mesh-recent', 'mesh-toggle']) {
      assert.match(page, new RegExp(`id="${id}"`), id);
    }
    assert.match(page, /<script src="\/mesh\/client\.js" defer(="")?><\/script>/);
  });

  it('takes the pace and window from the query and refuses values out of range', async () => {
    const { app } = fakeShop();
    assert.match(await (await app.request('/mesh?rate=25&window=500', html)).text(), /data-rate="25" data-window="500"/);
    for (const query of ['rate=0', 'rate=51', 'rate=abc', 'window=5', 'window=1001', 'rate=2.5']) {
      const res = await app.request(`/mesh?${query}`, html);
      assert.equal(res.status, 400, query);
    }
  });
});

describe('GET /mesh/sample', () => {
  it('reports the version, pod, status and latency of one products call', async () => {
    const { app, products } = fakeShop();
    products.handler = () => answer('products', 200, { id: 101, name: 'Laptop', priceCents: 99900 }, 'v2', 'products-v2-q');
    const res = await app.request('/mesh/sample');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.version, 'v2');
    assert.equal(body.pod, 'products-v2-q');
    assert.equal(body.status, 200);
    assert.equal(typeof body.ms, 'number');
    assert.ok((body.ms as number) >= 0);
    assert.equal(products.calls[0]?.path, '/products/101');
  });

  it('reports a failed call as a sample, not as a failure of its own', async () => {
    const { app, products } = fakeShop();
    products.handler = failing('products', 'upstream_error', 503);
    const failed = (await (await app.request('/mesh/sample')).json()) as Record<string, unknown>;
    assert.deepEqual({ version: failed.version, pod: failed.pod, status: failed.status }, { version: '', pod: '', status: 503 });
    products.handler = failing('products', 'upstream_unavailable');
    const down = (await (await app.request('/mesh/sample')).json()) as Record<string, unknown>;
    assert.equal(down.status, 503);
  });

  it('attributes a failed answer to the version and pod that sent it, when it carried them', async () => {
    const { app, products } = fakeShop();
    products.handler = () => {
      throw new UpstreamError('products', 'upstream_error', 'products answered 503', { upstreamStatus: 503, answeredBy: 'products', served: { version: 'v2', pod: 'products-v2-failing' } });
    };
    const sample = (await (await app.request('/mesh/sample')).json()) as Record<string, unknown>;
    assert.deepEqual({ version: sample.version, pod: sample.pod, status: sample.status }, { version: 'v2', pod: 'products-v2-failing', status: 503 });
  });
});

describe('GET /mesh/client.js', () => {
  it('serves a standalone script that draws the chart from samples', async () => {
    const { app } = fakeShop();
    const res = await app.request('/mesh/client.js');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    const script = await res.text();
    // Without a #mesh element the script defines TrafficWindow and then does nothing.
    const context = vm.createContext({ document: { getElementById: () => null } });
    vm.runInContext(script, context);
    const summary = vm.runInContext(
      `const w = new TrafficWindow(10); w.push({ version: 'v1', pod: 'a', status: 200, ms: 4 }); w.push({ version: 'v2', pod: 'b', status: 503, ms: 8 }); JSON.stringify(w.summary())`,
      context,
    ) as string;
    const parsed = JSON.parse(summary) as { total: number; errorRate: number; byVersion: Array<{ key: string }> };
    assert.equal(parsed.total, 2);
    assert.equal(parsed.errorRate, 0.5);
    assert.deepEqual(parsed.byVersion.map((s) => s.key), ['v1', 'v2']);
  });
});

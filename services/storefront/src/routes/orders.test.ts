import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answer, failing, fakeShop, html } from '../fake-upstreams.ts';

const ORDER = { order_id: '5001', user: { name: 'Alice' }, product: { name: 'Laptop' }, quantity: 2, total_cents: 199800, status: 'paid' };

describe('GET /orders/:id', () => {
  it('shows the order with the orders badge', async () => {
    const { app, orders } = fakeShop();
    orders.handler = (req) => (req.path === '/orders/5001' ? answer('orders', 200, ORDER, 'v2', 'orders-v2-x') : answer('orders', 404, {}));
    const res = await app.request('/orders/5001', html);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /<h1>Order #5001<\/h1>/);
    assert.match(page, /class="order-user">Alice</);
    assert.match(page, /class="order-product">Laptop</);
    assert.match(page, /€1,998\.00/);
    assert.match(page, /data-service="orders" data-version="v2" data-pod="orders-v2-x"/);
    assert.doesNotMatch(page, /Thank you/);
  });

  it('thanks the shopper after checkout and links the other orders of the same checkout', async () => {
    const { app, orders } = fakeShop();
    orders.handler = () => answer('orders', 200, ORDER);
    const page = await (await app.request('/orders/5001?placed=1&also=5002,5003,<script>', html)).text();
    assert.match(page, /Thank you! Your order is placed\./);
    assert.match(page, /href="\/orders\/5002"/);
    assert.match(page, /href="\/orders\/5003"/);
    assert.doesNotMatch(page, /<script>/);
  });

  it('answers a friendly 404 for an unknown order', async () => {
    const { app } = fakeShop();
    const res = await app.request('/orders/424242', html);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /There is no such order/);
  });

  it('renders a friendly 503 when orders is down', async () => {
    const { app, orders } = fakeShop();
    orders.handler = failing('orders', 'upstream_unavailable');
    const res = await app.request('/orders/5001', html);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /Ordering \(orders\) is unavailable right now/);
  });
});

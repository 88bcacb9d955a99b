// The benchmark's second reference: the same read routes as the raw baseline on bare Hono under
// @hono/node-server, with no middleware, and the same upstream client and header propagation for
// the orders fan-out. Between it and the shop lies only the shop's own layer (observe middleware,
// switches, validation, error handling). Run as its own process: PORT, USERS_URL, PRODUCTS_URL.
import type { IncomingMessage, Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { nodeHeaderReader, pickForwardHeaders, requestIdFrom } from '../../../services/shared/src/propagation.ts';
import { createUpstreamClient } from '../../../services/shared/src/upstream.ts';
import { NOT_FOUND, ORDERS, PRODUCTS, UPSTREAM_FAILED, USERS } from './reference-data.ts';
import { listenAsReference } from './reference-listen.ts';

const timeoutMs = Number(process.env.UPSTREAM_TIMEOUT_MS ?? 2000);
const users = createUpstreamClient({ name: 'users', baseUrl: process.env.USERS_URL ?? 'http://127.0.0.1:5001', timeoutMs });
const products = createUpstreamClient({ name: 'products', baseUrl: process.env.PRODUCTS_URL ?? 'http://127.0.0.1:5002', timeoutMs });

const app = new Hono<{ Bindings: { incoming: IncomingMessage } }>()
  .get('/products/:id', (c) => {
    const product = PRODUCTS[c.req.param('id')];
    return product ? c.json(product) : c.json(NOT_FOUND, 404);
  })
  .get('/users/:id', (c) => {
    const user = USERS[c.req.param('id')];
    return user ? c.json(user) : c.json(NOT_FOUND, 404);
  })
  .get('/orders/:id', async (c) => {
    const id = c.req.param('id');
    const order = ORDERS[id];
    if (!order) return c.json(NOT_FOUND, 404);
    const read = nodeHeaderReader(c.env.incoming.headers);
    const headers = pickForwardHeaders(read, requestIdFrom(read));
    try {
      const [user, product] = await Promise.all([
        users.request({ method: 'GET', path: `/users/${order.userId}`, headers }),
        products.request({ method: 'GET', path: `/products/${order.productId}`, headers }),
      ]);
      return c.json({ order_id: id, quantity: order.quantity, user: user.body, product: product.body });
    } catch {
      return c.json(UPSTREAM_FAILED, 502);
    }
  });
app.notFound((c) => c.json(NOT_FOUND, 404));

const server = createAdaptorServer({ fetch: app.fetch }) as Server;
listenAsReference(server, 'bare-hono');

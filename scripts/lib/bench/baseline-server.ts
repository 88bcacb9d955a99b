// The benchmark's baseline: the shop's read routes on raw node:http, with no framework and no
// middleware, but the same upstream client (services/shared/src/upstream.ts) for the orders
// fan-out. Run as its own process: PORT (0 picks one), USERS_URL, PRODUCTS_URL.
import http from 'node:http';
import { nodeHeaderReader, pickForwardHeaders, requestIdFrom } from '../../../services/shared/src/propagation.ts';
import { createUpstreamClient } from '../../../services/shared/src/upstream.ts';
import { NOT_FOUND as notFound, ORDERS, PRODUCTS, UPSTREAM_FAILED, USERS } from './reference-data.ts';
import { listenAsReference } from './reference-listen.ts';

const timeoutMs = Number(process.env.UPSTREAM_TIMEOUT_MS ?? 2000);
const users = createUpstreamClient({ name: 'users', baseUrl: process.env.USERS_URL ?? 'http://127.0.0.1:5001', timeoutMs });
const products = createUpstreamClient({ name: 'products', baseUrl: process.env.PRODUCTS_URL ?? 'http://127.0.0.1:5002', timeoutMs });

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const [, resource, id, extra] = (req.url ?? '/').split('?')[0]!.split('/');
  if (req.method !== 'GET' || id === undefined || extra !== undefined) return send(res, 404, notFound);
  if (resource === 'products') return PRODUCTS[id] ? send(res, 200, PRODUCTS[id]) : send(res, 404, notFound);
  if (resource === 'users') return USERS[id] ? send(res, 200, USERS[id]) : send(res, 404, notFound);
  if (resource === 'orders') {
    const order = ORDERS[id];
    if (!order) return send(res, 404, notFound);
    const read = nodeHeaderReader(req.headers);
    const headers = pickForwardHeaders(read, requestIdFrom(read));
    try {
      const [user, product] = await Promise.all([
        users.request({ method: 'GET', path: `/users/${order.userId}`, headers }),
        products.request({ method: 'GET', path: `/products/${order.productId}`, headers }),
      ]);
      return send(res, 200, { order_id: id, quantity: order.quantity, user: user.body, product: product.body });
    } catch {
      return send(res, 502, UPSTREAM_FAILED);
    }
  }
  return send(res, 404, notFound);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(() => send(res, 500, { error: { code: 'internal', message: 'internal error' } }));
});
listenAsReference(server, 'baseline');

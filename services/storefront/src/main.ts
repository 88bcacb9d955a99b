import { DEV_PORTS, upstreamUrlSetting } from '../../shared/src/config.ts';
import { loadConfigOrExit, runService } from '../../shared/src/server.ts';
import { createRuntime, createServiceApp } from '../../shared/src/service-app.ts';
import { createUpstreamClient } from '../../shared/src/upstream.ts';
import { createApp } from './app.ts';
import { ordersApi } from './upstream/orders.ts';
import { productsApi } from './upstream/products.ts';
import { usersApi } from './upstream/users.ts';

const config = loadConfigOrExit({
  service: 'storefront',
  devPort: DEV_PORTS.storefront,
  settings: { usersUrl: upstreamUrlSetting('users'), productsUrl: upstreamUrlSetting('products'), ordersUrl: upstreamUrlSetting('orders') },
});
const runtime = createRuntime(config);
const client = (name: string, baseUrl: string) => createUpstreamClient({ name, baseUrl, timeoutMs: config.upstreamTimeoutMs });
const clients = [client('users', config.usersUrl), client('products', config.productsUrl), client('orders', config.ordersUrl)] as const;
const [users, products, orders] = clients;
const shop = createApp({
  identity: { service: config.service, version: config.serviceVersion, pod: config.podName },
  users: usersApi(users),
  products: productsApi(products),
  orders: ordersApi(orders),
  logger: runtime.logger,
});
// The shared service app adds probes, metrics, identity headers and switches; unknown paths go to
// the shop, which answers them with its own HTML 404 page.
const app = createServiceApp(runtime).route('/', shop);
app.notFound((c) => shop.fetch(c.req.raw, c.env));
await runService({ app, runtime, onClose: async () => void (await Promise.all(clients.map((c) => c.close()))) });

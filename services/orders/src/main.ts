import { DEV_PORTS } from '../../shared/src/config.ts';
import { loadConfigOrExit, runService } from '../../shared/src/server.ts';
import { createRuntime } from '../../shared/src/service-app.ts';
import { createUpstreamClient } from '../../shared/src/upstream.ts';
import { createApp } from './app.ts';
import { ordersSettings } from './config.ts';
import { createNotificationsApi } from './upstream/notifications.ts';
import { createPaymentsApi } from './upstream/payments.ts';
import { createProductsApi } from './upstream/products.ts';
import { createUsersApi } from './upstream/users.ts';

const config = loadConfigOrExit({ service: 'orders', devPort: DEV_PORTS.orders, settings: ordersSettings });
const runtime = createRuntime(config);
const client = (name: string, baseUrl: string) => createUpstreamClient({ name, baseUrl, timeoutMs: config.upstreamTimeoutMs });
const clients = [
  client('users', config.usersUrl),
  client('products', config.productsUrl),
  client('payments', config.paymentsUrl),
  client('notifications', config.notificationsUrl),
] as const;
const [users, products, payments, notifications] = clients;
const app = createApp({
  runtime,
  users: createUsersApi(users),
  products: createProductsApi(products),
  payments: createPaymentsApi(payments),
  notifications: createNotificationsApi(notifications),
});
await runService({ app, runtime, onClose: async () => void (await Promise.all(clients.map((c) => c.close()))) });

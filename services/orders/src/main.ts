import { DEV_PORTS } from '../../shared/src/config.ts';
import { databaseFile, openDatabase } from '../../shared/src/database.ts';
import { exitOnConfigError, loadConfigOrExit, runService } from '../../shared/src/server.ts';
import { createRuntime } from '../../shared/src/service-app.ts';
import { resolveServiceToken } from '../../shared/src/service-token.ts';
import { createUpstreamClient } from '../../shared/src/upstream.ts';
import { createUserTokenVerifier, remoteUserKeys } from '../../shared/src/user-tokens.ts';
import { createOrders } from './app.ts';
import { ordersSettings } from './config.ts';
import { createOrderStore } from './store.ts';
import { createNotificationsApi } from './upstream/notifications.ts';
import { createPaymentsApi } from './upstream/payments.ts';
import { createProductsApi } from './upstream/products.ts';
import { createUsersApi } from './upstream/users.ts';

const config = loadConfigOrExit({ service: 'orders', devPort: DEV_PORTS.orders, settings: ordersSettings });
const runtime = createRuntime(config);
let serviceToken: string;
try {
  serviceToken = resolveServiceToken(config.serviceToken, config.nodeEnv);
} catch (error) {
  exitOnConfigError('orders', error);
}
const client = (name: string, baseUrl: string) => createUpstreamClient({ name, baseUrl, timeoutMs: config.upstreamTimeoutMs });
const clients = [
  client('users', config.usersUrl),
  client('products', config.productsUrl),
  client('payments', config.paymentsUrl),
  client('notifications', config.notificationsUrl),
] as const;
const [users, products, payments, notifications] = clients;
const file = databaseFile(config.dataDir, 'orders');
const db = openDatabase(file, '');
const store = createOrderStore(db, { keyTtlMs: config.keyTtlHours * 3600_000 });
runtime.logger.info('orders open', { file, orders: store.count(), keys: store.keys.count() });
const { app, placement } = createOrders({
  runtime,
  store,
  users: createUsersApi(users),
  products: createProductsApi(products),
  payments: createPaymentsApi(payments, serviceToken),
  notifications: createNotificationsApi(notifications),
  verifier: createUserTokenVerifier({ issuer: config.jwtIssuer, audience: config.jwtAudience, keys: remoteUserKeys(config.usersUrl, config.upstreamTimeoutMs) }),
});
// The reconciler settles pending orders nobody retried (after their deadline plus a grace for clock
// skew); expired idempotency keys are purged hourly. Neither keeps the process alive.
let reconciling = false;
const reconciler = setInterval(() => {
  if (reconciling) return;
  reconciling = true;
  void placement.reconcile(2_000).finally(() => (reconciling = false));
}, config.reconcileIntervalMs);
reconciler.unref();
const purge = setInterval(() => store.keys.purgeExpired(), 3600_000);
purge.unref();
await runService({
  app,
  runtime,
  onClose: async () => {
    clearInterval(reconciler);
    clearInterval(purge);
    await Promise.all(clients.map((c) => c.close()));
    db.close();
  },
});

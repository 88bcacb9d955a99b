import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { createOrderRoutes } from './routes/orders.ts';
import { createOrderStore, type OrderStore } from './store.ts';
import type { NotificationsApi } from './upstream/notifications.ts';
import type { PaymentsApi } from './upstream/payments.ts';
import type { ProductsApi } from './upstream/products.ts';
import type { UsersApi } from './upstream/users.ts';

export interface OrdersDeps {
  runtime: Runtime;
  users: UsersApi;
  products: ProductsApi;
  payments: PaymentsApi;
  notifications: NotificationsApi;
  store?: OrderStore;
  now?: () => Date;
}

export function createApp(deps: OrdersDeps) {
  return createServiceApp(deps.runtime).route(
    '/',
    createOrderRoutes({
      store: deps.store ?? createOrderStore(),
      users: deps.users,
      products: deps.products,
      payments: deps.payments,
      notifications: deps.notifications,
      logger: deps.runtime.logger,
      now: deps.now ?? (() => new Date()),
    }),
  );
}

export type AppType = ReturnType<typeof createApp>;

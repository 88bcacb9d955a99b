import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { createKeyLocks, type KeyLocks } from '../../shared/src/idempotency.ts';
import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import type { UserTokenVerifier } from '../../shared/src/user-tokens.ts';
import { createPlacement, type Placement } from './placement.ts';
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
  verifier: UserTokenVerifier;
  /** Defaults to an in-memory store (unit tests); main.ts passes the one in DATA_DIR. */
  store?: OrderStore;
  locks?: KeyLocks;
  now?: () => Date;
}

export function createOrders(deps: OrdersDeps): { app: ReturnType<typeof build>; placement: Placement; store: OrderStore } {
  const now = deps.now ?? (() => new Date());
  const store = deps.store ?? createOrderStore(openDatabase(IN_MEMORY, ''), { now: () => now().getTime() });
  const placement = createPlacement({
    store,
    locks: deps.locks ?? createKeyLocks(),
    users: deps.users,
    products: deps.products,
    payments: deps.payments,
    notifications: deps.notifications,
    logger: deps.runtime.logger,
    now,
    chargeTimeoutMs: deps.runtime.config.upstreamTimeoutMs,
  });
  return { app: build(deps, store, placement), placement, store };
}

function build(deps: OrdersDeps, store: OrderStore, placement: Placement) {
  return createServiceApp(deps.runtime).route('/', createOrderRoutes({ store, placement, users: deps.users, products: deps.products, verifier: deps.verifier }));
}

export function createApp(deps: OrdersDeps) {
  return createOrders(deps).app;
}

export type AppType = ReturnType<typeof createApp>;

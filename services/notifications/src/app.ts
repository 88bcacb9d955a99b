import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { createNotificationRoutes } from './routes/notifications.ts';

export interface NotificationsDeps {
  runtime: Runtime;
  /** Defaults to an in-memory outbox (unit tests); main.ts passes the one in DATA_DIR. */
  outbox?: Outbox;
  now?: () => Date;
}

export function createApp(deps: NotificationsDeps) {
  const outbox = deps.outbox ?? createOutbox(openDatabase(IN_MEMORY, ''), deps.now);
  return createServiceApp(deps.runtime).route('/', createNotificationRoutes({ outbox }));
}

export type AppType = ReturnType<typeof createApp>;

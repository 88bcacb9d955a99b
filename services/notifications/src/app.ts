import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { createNotificationRoutes } from './routes/notifications.ts';

export interface NotificationsDeps {
  runtime: Runtime;
  outbox?: Outbox;
  now?: () => Date;
}

export function createApp(deps: NotificationsDeps) {
  const outbox = deps.outbox ?? createOutbox(deps.now ?? (() => new Date()));
  return createServiceApp(deps.runtime).route('/', createNotificationRoutes({ outbox }));
}

export type AppType = ReturnType<typeof createApp>;

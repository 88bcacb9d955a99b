import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { createLedger, SEED_CHARGES, type Ledger } from './ledger.ts';
import { createPaymentRoutes } from './routes/payments.ts';

export interface PaymentsDeps {
  runtime: Runtime;
  ledger?: Ledger;
  now?: () => Date;
}

export function createApp(deps: PaymentsDeps) {
  const ledger = deps.ledger ?? createLedger(deps.now ?? (() => new Date()), SEED_CHARGES);
  return createServiceApp(deps.runtime).route('/', createPaymentRoutes({ ledger }));
}

export type AppType = ReturnType<typeof createApp>;

import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { DEV_SERVICE_TOKEN } from '../../shared/src/service-token.ts';
import { createLedger, type Ledger } from './ledger.ts';
import { createPaymentRoutes } from './routes/payments.ts';

export interface PaymentsDeps {
  runtime: Runtime;
  /** Defaults to an in-memory ledger (unit tests); main.ts passes the one in DATA_DIR. */
  ledger?: Ledger;
  serviceToken?: string;
  /** The switches' failures on POST /payments happen after the charge is committed (FAIL_AFTER_CHARGE). */
  failAfterCharge?: boolean;
  now?: () => Date;
}

export function createApp(deps: PaymentsDeps) {
  const now = deps.now ?? (() => new Date());
  const ledger = deps.ledger ?? createLedger(openDatabase(IN_MEMORY, ''), { now });
  if (deps.failAfterCharge) deps.runtime.switches.deferFailuresWhen((c) => c.req.method === 'POST' && c.req.path === '/payments');
  return createServiceApp(deps.runtime).route(
    '/',
    createPaymentRoutes({
      ledger,
      serviceToken: deps.serviceToken ?? DEV_SERVICE_TOKEN,
      now: () => now().getTime(),
    }),
  );
}

export type AppType = ReturnType<typeof createApp>;

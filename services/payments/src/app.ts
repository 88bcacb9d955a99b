import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { createServiceApp, type Runtime } from '../../shared/src/service-app.ts';
import { DEV_SERVICE_TOKEN } from '../../shared/src/service-token.ts';
import type { RandomSource } from '../../shared/src/switches.ts';
import { createLedger, type Ledger } from './ledger.ts';
import { createPaymentRoutes } from './routes/payments.ts';

export interface PaymentsDeps {
  runtime: Runtime;
  /** Defaults to an in-memory ledger (unit tests); main.ts passes the one in DATA_DIR. */
  ledger?: Ledger;
  serviceToken?: string;
  failAfterChargePercent?: number;
  random?: RandomSource;
  now?: () => Date;
}

export function createApp(deps: PaymentsDeps) {
  const now = deps.now ?? (() => new Date());
  const ledger = deps.ledger ?? createLedger(openDatabase(IN_MEMORY, ''), { now });
  const failAfterChargePercent = deps.failAfterChargePercent ?? 0;
  return createServiceApp(deps.runtime).route(
    '/',
    createPaymentRoutes({
      ledger,
      serviceToken: deps.serviceToken ?? DEV_SERVICE_TOKEN,
      failAfterChargePercent: () => failAfterChargePercent,
      random: deps.random,
      now: () => now().getTime(),
    }),
  );
}

export type AppType = ReturnType<typeof createApp>;

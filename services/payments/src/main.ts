import { DEV_PORTS } from '../../shared/src/config.ts';
import { databaseFile, openDatabase } from '../../shared/src/database.ts';
import { exitOnConfigError, loadConfigOrExit, runService } from '../../shared/src/server.ts';
import { createRuntime } from '../../shared/src/service-app.ts';
import { resolveServiceToken } from '../../shared/src/service-token.ts';
import { createApp } from './app.ts';
import { paymentsSettings } from './config.ts';
import { createLedger } from './ledger.ts';

const config = loadConfigOrExit({ service: 'payments', devPort: DEV_PORTS.payments, settings: paymentsSettings });
const runtime = createRuntime(config);
let serviceToken: string;
try {
  serviceToken = resolveServiceToken(config.serviceToken, config.nodeEnv);
} catch (error) {
  exitOnConfigError('payments', error);
}
const db = openDatabase(databaseFile(config.dataDir, 'payments'), '');
const ledger = createLedger(db, { keyTtlMs: config.keyTtlHours * 3600_000 });
runtime.logger.info('ledger open', { file: databaseFile(config.dataDir, 'payments'), charges: ledger.count(), keys: ledger.keys.count() });
// Expired keys are deleted hourly; nothing is ever evicted by count.
const purge = setInterval(() => ledger.keys.purgeExpired(), 3600_000);
purge.unref();
const app = createApp({ runtime, ledger, serviceToken, failAfterCharge: config.failAfterCharge });
await runService({
  app,
  runtime,
  onClose: () => {
    clearInterval(purge);
    db.close();
  },
});

import { DEV_PORTS, intSetting } from '../../shared/src/config.ts';
import { databaseFile, dataDirSetting, openDatabase } from '../../shared/src/database.ts';
import { loadConfigOrExit, runService } from '../../shared/src/server.ts';
import { createRuntime } from '../../shared/src/service-app.ts';
import { createApp } from './app.ts';
import { createOutbox } from './outbox.ts';

const config = loadConfigOrExit({
  service: 'notifications',
  devPort: DEV_PORTS.notifications,
  settings: { dataDir: dataDirSetting(), retentionDays: intSetting('RETENTION_DAYS', 30, { min: 1, max: 3650 }) },
});
const runtime = createRuntime(config);
const file = databaseFile(config.dataDir, 'notifications');
const db = openDatabase(file, '');
const outbox = createOutbox(db);
runtime.logger.info('outbox open', { file, notifications: outbox.count() });
const purge = () => outbox.purgeBefore(new Date(Date.now() - config.retentionDays * 86_400_000));
purge();
const timer = setInterval(purge, 3600_000);
timer.unref();
await runService({
  app: createApp({ runtime, outbox }),
  runtime,
  onClose: () => {
    clearInterval(timer);
    db.close();
  },
});

import { DEV_PORTS } from '../../shared/src/config.ts';
import { loadConfigOrExit, runService } from '../../shared/src/server.ts';
import { createRuntime } from '../../shared/src/service-app.ts';
import { createApp } from './app.ts';

const config = loadConfigOrExit({ service: 'notifications', devPort: DEV_PORTS.notifications });
const runtime = createRuntime(config);
await runService({ app: createApp({ runtime }), runtime });

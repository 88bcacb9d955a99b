import { DEV_PORTS } from '../../shared/src/config.ts';
import { exitOnConfigError, loadConfigOrExit, runService } from '../../shared/src/server.ts';
import { createRuntime } from '../../shared/src/service-app.ts';
import { createApp } from './app.ts';
import { usersSettings } from './config.ts';
import { loadSigningKeys, type SigningKeys } from './keys.ts';

const config = loadConfigOrExit({ service: 'users', devPort: DEV_PORTS.users, settings: usersSettings });
const runtime = createRuntime(config);
let keys: SigningKeys;
try {
  const loaded = loadSigningKeys({ privateKeyFile: config.jwtPrivateKeyFile, publicKeyFile: config.jwtPublicKeyFile, nodeEnv: config.nodeEnv });
  keys = loaded.keys;
  if (loaded.generated) runtime.logger.warn('generated a development JWT key pair; tokens will not survive a restart', { kid: keys.kid });
} catch (error) {
  exitOnConfigError('users', error);
}
const tokens = { issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: config.jwtTtlSeconds };
await runService({ app: createApp({ runtime, keys, tokens }), runtime });

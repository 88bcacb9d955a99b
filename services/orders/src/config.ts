import { intSetting, upstreamUrlSetting } from '../../shared/src/config.ts';
import { dataDirSetting } from '../../shared/src/database.ts';
import { serviceTokenSetting } from '../../shared/src/service-token.ts';
import { userTokenSettings } from '../../shared/src/user-tokens.ts';

/** The orders service's own settings: its four upstreams, its data, the tokens it checks and sends. */
export const ordersSettings = {
  usersUrl: upstreamUrlSetting('users'),
  productsUrl: upstreamUrlSetting('products'),
  paymentsUrl: upstreamUrlSetting('payments'),
  notificationsUrl: upstreamUrlSetting('notifications'),
  dataDir: dataDirSetting(),
  serviceToken: serviceTokenSetting(),
  keyTtlHours: intSetting('IDEMPOTENCY_KEY_TTL_HOURS', 24, { min: 1, max: 24 * 30 }),
  reconcileIntervalMs: intSetting('RECONCILE_INTERVAL_MS', 10_000, { min: 100, max: 3_600_000 }),
  ...userTokenSettings,
};

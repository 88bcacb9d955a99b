import { upstreamUrlSetting } from '../../shared/src/config.ts';

/** The orders service's own settings: where its four upstreams are. */
export const ordersSettings = {
  usersUrl: upstreamUrlSetting('users'),
  productsUrl: upstreamUrlSetting('products'),
  paymentsUrl: upstreamUrlSetting('payments'),
  notificationsUrl: upstreamUrlSetting('notifications'),
};

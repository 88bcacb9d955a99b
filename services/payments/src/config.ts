import { boolSetting, intSetting } from '../../shared/src/config.ts';
import { dataDirSetting } from '../../shared/src/database.ts';
import { serviceTokenSetting } from '../../shared/src/service-token.ts';

/** The payments service's own settings, on top of the common ones. */
export const paymentsSettings = {
  dataDir: dataDirSetting(),
  serviceToken: serviceTokenSetting(),
  keyTtlHours: intSetting('IDEMPOTENCY_KEY_TTL_HOURS', 24, { min: 1, max: 24 * 30 }),
  // The retries scenario's switch: the ERROR_PERCENT share (and ALWAYS_FAIL) of charges fails *after*
  // the charge is committed, as if the answer was lost on the wire; only idempotency keeps a retry
  // from charging twice.
  failAfterCharge: boolSetting('FAIL_AFTER_CHARGE', false),
};

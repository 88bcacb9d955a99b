import { intSetting, optionalStringSetting, stringSetting } from '../../shared/src/config.ts';

/** The users service's own settings, on top of the common ones. */
export const usersSettings = {
  jwtPrivateKeyFile: optionalStringSetting('JWT_PRIVATE_KEY_FILE'),
  jwtPublicKeyFile: optionalStringSetting('JWT_PUBLIC_KEY_FILE'),
  jwtIssuer: stringSetting('JWT_ISSUER', 'shopmesh-users'),
  jwtAudience: stringSetting('JWT_AUDIENCE', 'shopmesh'),
  jwtTtlSeconds: intSetting('JWT_TTL_SECONDS', 3600, { min: 60, max: 86_400 }),
};

// Shopper authentication for the services: a bearer token issued by the users service, verified
// with jose against users' JWKS (fetched once and cached; refetched for an unknown kid after a
// cooldown). Only RS256 is accepted, with the configured issuer and audience, so alg=none, an HS256
// token signed with the public key, expired tokens and foreign kids or iss/aud all fail.
import type { Context, MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { stringSetting } from './config.ts';
import { HttpError } from './errors.ts';

export interface Shopper {
  id: number;
  name: string;
}

export const userTokenSettings = {
  jwtIssuer: stringSetting('JWT_ISSUER', 'shopmesh-users'),
  jwtAudience: stringSetting('JWT_AUDIENCE', 'shopmesh'),
};

export interface UserTokenVerifier {
  /** The shopper a token names, or an HttpError: 401 for any bad token, 503 when the keys cannot be fetched. */
  verify(token: string): Promise<Shopper>;
}

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** users' JWKS; tests pass a local key set. */
  keys: JWTVerifyGetKey;
  /** Allowed clock skew in seconds. */
  clockToleranceSeconds?: number;
  now?: () => number;
}

export const JWKS_PATH = '/.well-known/jwks.json';

/** The JWKS of the users service at `usersUrl`, cached for 10 minutes. */
export function remoteUserKeys(usersUrl: string, timeoutMs: number): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(JWKS_PATH, usersUrl), { cacheMaxAge: 600_000, cooldownDuration: 30_000, timeoutDuration: timeoutMs });
}

const unauthorized = (message: string): HttpError => new HttpError(401, 'invalid_token', message);

export function createUserTokenVerifier(options: VerifierOptions): UserTokenVerifier {
  const tolerance = options.clockToleranceSeconds ?? 5;
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, options.keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['RS256'],
          requiredClaims: ['sub', 'exp', 'iat'],
          clockTolerance: tolerance,
          ...(options.now ? { currentDate: new Date(options.now()) } : {}),
        });
        // jose compares iat with the clock only against a maximum age. A token issued after now came
        // from a clock ahead of ours, or was made to outlive its key: refused like an early nbf.
        const nowSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000);
        if (payload.iat! > nowSeconds + tolerance) throw unauthorized('the token was issued in the future');
        const id = Number(payload.sub);
        if (!/^\d{1,9}$/.test(String(payload.sub)) || id <= 0) throw unauthorized('the token names no user');
        return { id, name: typeof payload.name === 'string' ? payload.name : `user ${id}` };
      } catch (error) {
        if (error instanceof HttpError) throw error;
        if (keysUnavailable(error)) throw new HttpError(503, 'auth_unavailable', 'the signing keys could not be fetched from users', { cause: error });
        if (error instanceof errors.JWTExpired) throw unauthorized('the token has expired');
        throw unauthorized('the token is not valid');
      }
    },
  };
}

// How jose reports a key set it could not get: a timeout, a network error (not a JOSEError), a
// non-200 or non-JSON answer (a plain JOSEError; a mesh answers 503 when users is down), or a body
// that is no key set. None of these says anything about the shopper's token.
function keysUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === errors.JOSEError.code;
}

/** The bearer token of the request, or undefined; 401 for an Authorization header that is not a bearer token. */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header === undefined) return undefined;
  // The scheme is case-insensitive and may be followed by several spaces (RFC 7235, RFC 6750 §2.1);
  // Headers has already stripped the whitespace around the value.
  const match = /^Bearer +([\w-]+\.[\w-]*\.[\w-]*)$/i.exec(header);
  if (!match) throw unauthorized('send the token as "Authorization: Bearer <token>"');
  return match[1];
}

/** The challenge of a 401: the realm, and for a token that was sent but refused, RFC 6750's error. */
export const bearerChallenge = (error?: 'invalid_token'): string => `Bearer realm="shopmesh"${error ? `, error="${error}"` : ''}`;

/** Sets `shopper` when a valid token came, leaves it undefined without one; a bad token is always 401. */
export function readShopper(verifier: UserTokenVerifier): MiddlewareHandler {
  return async (c, next) => {
    let shopper: Shopper | undefined;
    try {
      const token = bearerToken(c);
      shopper = token === undefined ? undefined : await verifier.verify(token);
    } catch (error) {
      // RFC 6750 §3: a refused token is answered with a challenge naming the error, so a client knows
      // to get a new token rather than retry.
      if (error instanceof HttpError && error.status === 401) c.header('www-authenticate', bearerChallenge('invalid_token'));
      throw error;
    }
    // Kept untyped on the context so any service Env can carry it.
    c.set('shopper' as never, shopper as never);
    await next();
  };
}

/** The shopper readShopper() found, if any. */
export function shopperOf(c: Context): Shopper | undefined {
  return (c.var as { shopper?: Shopper }).shopper;
}

/** The signed-in shopper, or 401 naming what is needed. */
export function requireShopper(c: Context): Shopper {
  const shopper = shopperOf(c);
  if (!shopper) {
    c.header('www-authenticate', bearerChallenge());
    throw new HttpError(401, 'token_required', 'sign in: this route needs a token from the users service (POST /auth/token)');
  }
  return shopper;
}

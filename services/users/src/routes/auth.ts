import { Hono } from 'hono';
import * as z from 'zod/mini';
import { HttpError } from '../../../shared/src/errors.ts';
import { readJson } from '../../../shared/src/guards.ts';
import type { ServiceEnv } from '../../../shared/src/service-app.ts';
import type { Directory } from '../directory.ts';
import type { SigningKeys } from '../keys.ts';
import { issueToken } from '../tokens.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const tokenRequest = z.strictObject({ username: z.string().check(z.minLength(1), z.maxLength(64)) });

export function createAuthRoutes(deps: { directory: Directory; keys: SigningKeys; settings: TokenSettings; now: () => number }) {
  const { directory, keys, settings, now } = deps;
  const jwks = { keys: [keys.jwk] };
  return new Hono<ServiceEnv>()
    .post('/auth/token', async (c) => {
      const { username } = await readJson(c, tokenRequest);
      const user = directory.byUsername(username);
      if (user === undefined) throw new HttpError(401, 'unknown_user', 'no such user in the sandbox directory');
      const iat = Math.floor(now() / 1000);
      const token = issueToken(keys, {
        iss: settings.issuer,
        sub: String(user.id),
        aud: settings.audience,
        iat,
        exp: iat + settings.ttlSeconds,
        name: user.name,
        group: user.group,
      });
      return c.json({ access_token: token, token_type: 'Bearer', expires_in: settings.ttlSeconds });
    })
    .get('/.well-known/jwks.json', (c) => {
      c.header('cache-control', 'public, max-age=300');
      return c.json(jwks);
    });
}

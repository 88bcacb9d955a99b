// Tokens for tests: a signing key shaped like the users service's, tokens it would issue, and a
// corpus of forged tokens every verifier must refuse (alg=none, HS256 keyed with the public key,
// expired, unknown kid, wrong iss/aud, tampered claims, a stranger's key).
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, SignJWT, type JWK } from 'jose';

export interface TestSigner {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
  /** The JWKS document users would publish. */
  jwks: { keys: JWK[] };
  localKeys: ReturnType<typeof createLocalJWKSet>;
}

export async function createTestSigner(): Promise<TestSigner> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  const jwk = { ...exported, kid, alg: 'RS256', use: 'sig' };
  const jwks = { keys: [jwk] };
  return { kid, privateKey, publicKey, jwk, jwks, localKeys: createLocalJWKSet(jwks) };
}

export interface TokenFields {
  sub?: string;
  name?: string;
  iss?: string;
  aud?: string;
  /** Seconds since the epoch. */
  iat?: number;
  exp?: number;
  kid?: string;
}

export const ISSUER = 'shopmesh-users';
export const AUDIENCE = 'shopmesh';

export async function signToken(signer: Pick<TestSigner, 'privateKey' | 'kid'>, fields: TokenFields = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ name: fields.name ?? 'Alice', group: 'beta' })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: fields.kid ?? signer.kid })
    .setIssuer(fields.iss ?? ISSUER)
    .setAudience(fields.aud ?? AUDIENCE)
    .setSubject(fields.sub ?? '1')
    .setIssuedAt(fields.iat ?? now)
    .setExpirationTime(fields.exp ?? now + 600)
    .sign(signer.privateKey);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Forged tokens for user `sub`, built against the real signer's public key; each must be refused. */
export async function forgedTokens(signer: TestSigner, sub = '2'): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, aud: AUDIENCE, sub, iat: now, exp: now + 600, name: 'Mallory' };
  const publicPem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const hsInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: signer.kid })}.${b64(claims)}`;
  const stranger = await createTestSigner();
  const genuine = await signToken(signer, { sub: '1' });
  const [header, , signature] = genuine.split('.');
  return {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    'alg none with kid': `${b64({ alg: 'none', typ: 'JWT', kid: signer.kid })}.${b64(claims)}.`,
    'HS256 keyed with the RSA public key': `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`,
    expired: await signToken(signer, { sub, iat: now - 7200, exp: now - 3600 }),
    'unknown kid': await signToken(signer, { sub, kid: 'not-a-published-kid' }),
    'wrong issuer': await signToken(signer, { sub, iss: 'https://evil.example' }),
    'wrong audience': await signToken(signer, { sub, aud: 'someone-else' }),
    'signed by a stranger with the right kid': await signToken({ privateKey: stranger.privateKey, kid: signer.kid }, { sub }),
    'claims swapped under a genuine signature': `${header}.${b64({ ...claims, sub })}.${signature}`,
    'no signature': `${header}.${b64(claims)}.`,
  };
}

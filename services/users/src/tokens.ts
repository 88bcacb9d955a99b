// RS256 JWTs signed with node:crypto: header {alg, typ, kid}; claims iss, sub, aud, iat, exp and
// the user's name and group (Istio's RequestAuthentication can route or authorise on claims).
import { sign, verify } from 'node:crypto';
import type { SigningKeys } from './keys.ts';

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  name: string;
  group: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function issueToken(keys: SigningKeys, claims: TokenClaims): string {
  const signingInput = `${b64({ alg: 'RS256', typ: 'JWT', kid: keys.kid })}.${b64(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), keys.privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** Verifies signature, algorithm and expiry; returns the claims or undefined. Used by tests and tools. */
export function verifyToken(keys: Pick<SigningKeys, 'publicKey'>, token: string, nowSeconds: number): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    if (parsedHeader.alg !== 'RS256') return undefined;
    if (!verify('sha256', Buffer.from(`${header}.${payload}`), keys.publicKey, Buffer.from(signature, 'base64url'))) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    return claims.exp > nowSeconds ? claims : undefined;
  } catch {
    return undefined;
  }
}

// The signed-in shopper: the token users issued, kept in an HttpOnly cookie (SameSite=Lax, Secure over
// HTTPS) for as long as the token lives. The storefront reads the token's claims only to greet the
// shopper; orders verifies the signature and takes the user from it.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'shopmesh_session';

export interface Session {
  token: string;
  userId: string;
  name: string;
}

/** True when the shopper reached us over HTTPS (directly, or through a gateway that says so). */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || (c.req.header('x-forwarded-proto') ?? '').split(',', 1)[0]!.trim() === 'https';
}

/** Cookie options every shop cookie shares: never readable by scripts, Secure whenever the page is HTTPS. */
export function cookieOptions(c: Context, maxAgeSeconds: number) {
  return { path: '/', httpOnly: true, sameSite: 'Lax', secure: isHttps(c), maxAge: maxAgeSeconds } as const;
}

export function readSession(c: Context, nowSeconds = Date.now() / 1000): Session | undefined {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 4096) return undefined;
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; name?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string' || !/^\d{1,9}$/.test(claims.sub)) return undefined;
    if (typeof claims.exp === 'number' && claims.exp <= nowSeconds) return undefined;
    return { token, userId: claims.sub, name: typeof claims.name === 'string' ? claims.name.slice(0, 80) : `shopper #${claims.sub}` };
  } catch {
    return undefined;
  }
}

export function writeSession(c: Context, token: string, expiresInSeconds: number): void {
  setCookie(c, SESSION_COOKIE, token, cookieOptions(c, expiresInSeconds));
}

export function clearSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
}

/** A same-site path to return to after signing in; anything else goes home. */
export function safeNext(value: string | undefined): string {
  return value && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) && value.length <= 200 ? value : '/';
}

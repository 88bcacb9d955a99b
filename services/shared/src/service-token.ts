// A shared secret that lets one service call another's internal write route (orders → POST
// /payments). In the cluster the mesh adds the caller's mTLS identity on top (see the payments
// README). Development gets a fixed, public value so `npm run dev` works without setup.
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { optionalStringSetting, type Setting } from './config.ts';
import { HttpError } from './errors.ts';

export const DEV_SERVICE_TOKEN = 'shopmesh-dev-service-token';
const MIN_LENGTH = 16;

export function serviceTokenSetting(): Setting<string | undefined> {
  return optionalStringSetting('SERVICE_TOKEN');
}

/** The configured token; the dev value only when NODE_ENV=development; otherwise a start-up error naming SERVICE_TOKEN. */
export function resolveServiceToken(configured: string | undefined, nodeEnv: string): string {
  if (configured !== undefined) {
    if (configured.length < MIN_LENGTH) throw new Error(`SERVICE_TOKEN must be at least ${MIN_LENGTH} characters`);
    // The dev value is public (it is in this file), so it guards nothing outside development.
    if (configured === DEV_SERVICE_TOKEN && nodeEnv !== 'development') throw new Error('SERVICE_TOKEN is the public development token; set a secret one');
    return configured;
  }
  if (nodeEnv === 'development') return DEV_SERVICE_TOKEN;
  throw new Error('SERVICE_TOKEN is required (set NODE_ENV=development to use the public development token)');
}

export function serviceAuthorization(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** 401 without a bearer token, 403 with the wrong one. */
export function requireServiceToken(expected: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer +([\x21-\x7e]{1,4096})$/i.exec(header); // scheme case-insensitive, as in user-tokens
    if (!match) throw new HttpError(401, 'service_token_required', 'this route accepts calls from the orders service only');
    if (!sameSecret(match[1]!, expected)) throw new HttpError(403, 'service_token_invalid', 'this route accepts calls from the orders service only');
    await next();
  };
}

// The caller's deadline, sent with a call that must not act after the caller gave up (orders →
// payments). It is an absolute time (Unix ms), not a remaining duration, so a mesh retry of the same
// request cannot extend it. Pods in one cluster share NTP time; the margin covers the answer's trip.
import type { Context } from 'hono';
import { HttpError } from './errors.ts';

export const DEADLINE_HEADER = 'x-shopmesh-deadline';

/** The deadline the caller sent, or undefined; 400 when the header is malformed. */
export function readDeadline(c: Context): number | undefined {
  const raw = c.req.header(DEADLINE_HEADER);
  if (raw === undefined) return undefined;
  if (!/^\d{10,15}$/.test(raw)) throw new HttpError(400, 'invalid_deadline', `${DEADLINE_HEADER} must be a Unix time in milliseconds`);
  return Number(raw);
}

export const deadlineExceeded = (): HttpError =>
  new HttpError(504, 'deadline_exceeded', 'the caller\'s deadline has passed; nothing was done');

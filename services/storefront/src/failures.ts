// What a shopper reads when an upstream fails: which part of the shop, in plain words, with the
// status the failure deserves. Never a stack trace, never an internal message.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError } from '../../shared/src/errors.ts';
import { UpstreamError } from '../../shared/src/upstream.ts';
import type { ServedBy } from './served.ts';

export interface Failure {
  status: ContentfulStatusCode;
  heading: string;
  message: string;
  /** The failing upstream's badge: its version and pod when the answer carried them. */
  served?: ServedBy[];
}

const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  users: 'Sign-in (users)',
  products: 'The catalogue (products)',
  orders: 'Ordering (orders)',
  payments: 'Payments',
  notifications: 'Notifications',
};

export function displayName(service: string): string {
  return DISPLAY_NAMES[service] ?? service;
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof UpstreamError) {
    const who = displayName(error.upstream);
    const served = [upstreamBadge(error)];
    switch (error.failure) {
      case 'upstream_unavailable':
        return { status: error.status, heading: 'Temporarily unavailable', message: `${who} is unavailable right now. Please try again in a moment.`, served };
      case 'upstream_timeout':
        return { status: error.status, heading: 'Taking too long', message: `${who} did not answer in time. Please try again in a moment.`, served };
      default:
        return { status: error.status, heading: 'Something went wrong', message: `${who} ran into a problem. Please try again in a moment.`, served };
    }
  }
  if (error instanceof HttpError && error.status < 500) {
    return { status: error.status, heading: error.status === 404 ? 'Not found' : 'That did not work', message: error.message };
  }
  return { status: 500, heading: 'Something went wrong', message: 'The shop ran into a problem. Please try again in a moment.' };
}

/** The badge of a failed upstream call: the answering version and pod when the answer carried them. */
export function upstreamBadge(error: UpstreamError): ServedBy {
  return { service: error.answeredBy ?? error.upstream, version: error.served?.version ?? '', pod: error.served?.pod ?? '' };
}

// What a shopper reads when an upstream fails: which part of the shop, in plain words, with the
// status the failure deserves. Never a stack trace, never an internal message.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError } from '../../shared/src/errors.ts';
import { UpstreamError } from '../../shared/src/upstream.ts';

export interface Failure {
  status: ContentfulStatusCode;
  heading: string;
  message: string;
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
    switch (error.failure) {
      case 'upstream_unavailable':
        return { status: error.status, heading: 'Temporarily unavailable', message: `${who} is unavailable right now. Please try again in a moment.` };
      case 'upstream_timeout':
        return { status: error.status, heading: 'Taking too long', message: `${who} did not answer in time. Please try again in a moment.` };
      default:
        return { status: error.status, heading: 'Something went wrong', message: `${who} ran into a problem. Please try again in a moment.` };
    }
  }
  if (error instanceof HttpError && error.status < 500) {
    return { status: error.status, heading: error.status === 404 ? 'Not found' : 'That did not work', message: error.message };
  }
  return { status: 500, heading: 'Something went wrong', message: 'The shop ran into a problem. Please try again in a moment.' };
}

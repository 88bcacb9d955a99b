// Where a k6 script sends its requests, read from __ENV (the runner sets it; defaults fit the sandbox).
import type { ResponseLike } from './classify.ts';

export interface Target {
  baseUrl: string;
  /** Sent as Host when the base URL is an address (the gateway routes on shop.localhost). */
  headers: Record<string, string>;
  /** k6's `hosts` option: name → address, so TLS sees the real server name. */
  hosts?: Record<string, string>;
}

export function targetFromEnv(env: Record<string, string | undefined>): Target {
  const baseUrl = (env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const host = env.HOST_HEADER ?? 'shop.localhost';
  const byAddress = /^https?:\/\/(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\])(:\d+)?$/i.test(baseUrl);
  const resolve = env.RESOLVE; // "shop.localhost=127.0.0.1"
  const hosts = resolve ? Object.fromEntries([resolve.split('=') as [string, string]]) : undefined;
  return { baseUrl, headers: byAddress ? { Host: host } : {}, ...(hosts ? { hosts } : {}) };
}

/** The options every script shares: trend stats the verdict reads, and the host mapping. */
export function commonOptions(target: Target): Record<string, unknown> {
  return {
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
    ...(target.hosts ? { hosts: target.hosts } : {}),
  };
}

/** A k6 response as the pure classifier sees it. */
export function asResponseLike(r: { status: number; headers: Record<string, string>; body?: unknown; error_code?: number }): ResponseLike {
  return { status: r.status, headers: r.headers, body: typeof r.body === 'string' ? r.body : null, ...(r.error_code ? { errorCode: r.error_code } : {}) };
}

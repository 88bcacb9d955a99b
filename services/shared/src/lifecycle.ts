// Health, readiness and identity. /readyz turns 503 as soon as draining starts, so the kubelet and
// the mesh stop sending new work while in-flight requests finish.
import { Hono } from 'hono';
import type { CommonConfig } from './config.ts';
import { errorResponse } from './errors.ts';

export interface Lifecycle {
  readonly draining: boolean;
  startDraining(): void;
}

export function createLifecycle(): Lifecycle {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
  };
}

export interface Identity {
  service: string;
  version: string;
  pod: string;
}

export const identityOf = (config: Pick<CommonConfig, 'service' | 'serviceVersion' | 'podName'>): Identity => ({
  service: config.service,
  version: config.serviceVersion,
  pod: config.podName,
});

export const IDENTITY_HEADERS = Object.freeze({ service: 'x-service', version: 'x-service-version', pod: 'x-pod' } as const);

/** The identity as the headers every answer carries. */
export const identityHeaders = (identity: Identity): Record<string, string> => ({
  [IDENTITY_HEADERS.service]: identity.service,
  [IDENTITY_HEADERS.version]: identity.version,
  [IDENTITY_HEADERS.pod]: identity.pod,
});

export const HEALTH_PATHS = Object.freeze(['/healthz', '/readyz'] as const);

export function createHealthRoutes(lifecycle: Lifecycle, identity: Identity) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok', ...identity }))
    .get('/readyz', (c) =>
      lifecycle.draining ? errorResponse(c, 503, 'draining', 'shutting down') : c.json({ status: 'ready', ...identity }),
    );
}

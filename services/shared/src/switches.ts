// Behaviour switches used by the scenarios (added latency, an error share, one always-failing pod)
// and the admin API that reads and changes them at run time on the admin port.
import { Hono, type Context, type MiddlewareHandler, type Next } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod/mini';
import { SWITCH_LIMITS, type SwitchSettings } from './config.ts';
import { createErrorHandler, errorResponse, notFoundHandler } from './errors.ts';
import { readJson } from './guards.ts';

export type RandomSource = () => number;
export type Sleep = (ms: number) => Promise<void>;

const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Switches {
  get(): Readonly<SwitchSettings>;
  /** Applies a validated partial update and returns the new settings. */
  update(patch: Partial<SwitchSettings>): Readonly<SwitchSettings>;
  /** Middleware applying the switches to the routes after it. */
  middleware: MiddlewareHandler;
  /**
   * Requests matching `when` are not failed before the route: the decision is handed to the route
   * (see deferredFailure), which fails *after* doing its work, as if the answer were lost.
   */
  deferFailuresWhen(when: (c: Context) => boolean): void;
}

export interface DeferredFailure {
  status: ContentfulStatusCode;
  why: string;
}

/** The failure the switches decided for this request and left to the route, if any. */
export function deferredFailure(c: Context): DeferredFailure | undefined {
  return (c.var as { deferredFailure?: DeferredFailure }).deferredFailure;
}

/** Whether any switch can change a request: added latency, an error share, or always failing. */
function isEngaged(s: Readonly<SwitchSettings>): boolean {
  return (s.latencyMs > 0 && s.latencyPercent > 0) || s.errorPercent > 0 || s.alwaysFail;
}

export interface SwitchesOptions {
  random?: RandomSource;
  sleep?: Sleep;
}

export function createSwitches(initial: SwitchSettings, options: SwitchesOptions = {}): Switches {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  let current: Readonly<SwitchSettings> = Object.freeze({ ...initial });
  let engaged = isEngaged(current);
  let deferWhen: ((c: Context) => boolean) | undefined;

  const apply = async (c: Context, next: Next, s: Readonly<SwitchSettings>): Promise<Response | void> => {
    if (s.latencyMs > 0 && s.latencyPercent > 0 && random() * 100 < s.latencyPercent) await sleep(s.latencyMs);
    const why = s.alwaysFail ? 'ALWAYS_FAIL' : s.errorPercent > 0 && random() * 100 < s.errorPercent ? `ERROR_PERCENT=${s.errorPercent}` : undefined;
    if (why !== undefined) {
      if (deferWhen?.(c)) {
        c.set('deferredFailure' as never, { status: s.errorStatus as ContentfulStatusCode, why } as never);
      } else {
        return errorResponse(c, s.errorStatus as ContentfulStatusCode, s.alwaysFail ? 'injected_failure' : 'injected_error', `failing on purpose (${why})`);
      }
    }
    await next();
  };
  // With every switch off (the usual case) a request passes straight through: no async frame of its own.
  const middleware: MiddlewareHandler = (c, next) => (engaged ? apply(c, next, current) : next());

  return {
    get: () => current,
    update(patch) {
      current = Object.freeze({ ...current, ...patch });
      engaged = isEngaged(current);
      return current;
    },
    middleware,
    deferFailuresWhen(when) {
      deferWhen = when;
    },
  };
}

const percent = z.number().check(z.int(), z.minimum(SWITCH_LIMITS.percent.min), z.maximum(SWITCH_LIMITS.percent.max));
export const switchesPatchSchema = z.strictObject({
  latencyMs: z.optional(z.number().check(z.int(), z.minimum(SWITCH_LIMITS.latencyMs.min), z.maximum(SWITCH_LIMITS.latencyMs.max))),
  latencyPercent: z.optional(percent),
  errorPercent: z.optional(percent),
  errorStatus: z.optional(z.number().check(z.int(), z.minimum(SWITCH_LIMITS.errorStatus.min), z.maximum(SWITCH_LIMITS.errorStatus.max))),
  alwaysFail: z.optional(z.boolean()),
});

/** The count of requests served, read by the mirror scenario. */
export interface RequestStats {
  increment(): void;
  requests(): number;
  reset(): void;
}

export function createRequestStats(): RequestStats {
  let requests = 0;
  return {
    increment: () => {
      requests++;
    },
    requests: () => requests,
    reset: () => {
      requests = 0;
    },
  };
}

/**
 * The admin port's own guard, because a browser on the developer's machine can reach it:
 * - the Host must be an IP literal, `localhost` or a name in `allowedHosts`, so a DNS-rebinding page
 *   (whose Host is its own name) is refused;
 * - every state change is a request a page cannot send without CORS: PUT with JSON, DELETE, or a POST
 *   that carries `content-type: application/json` (a simple form or no-cors POST is refused).
 */
export function adminGuard(allowedHosts: readonly string[] = []): MiddlewareHandler {
  const allowed = new Set(['localhost', ...allowedHosts.map((h) => h.toLowerCase())]);
  return async (c, next) => {
    const host = (c.req.header('host') ?? new URL(c.req.url).host).toLowerCase();
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':', 1)[0]!;
    const ipLiteral = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[\da-f:.]+\]$/.test(name);
    if (!ipLiteral && !allowed.has(name)) return errorResponse(c, 403, 'host_not_allowed', 'the admin port answers only to an IP address or localhost');
    if (c.req.method === 'POST' && !/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      return errorResponse(c, 415, 'unsupported_media_type', 'send admin changes with content-type: application/json, or DELETE /admin/stats');
    }
    await next();
  };
}

export function createAdminApp(deps: { switches: Switches; stats: RequestStats; allowedHosts?: readonly string[] }) {
  const { switches, stats } = deps;
  const reset = (c: Context) => {
    stats.reset();
    return c.json({ requests: stats.requests() });
  };
  const app = new Hono()
    .use('*', adminGuard(deps.allowedHosts))
    .get('/admin/switches', (c) => c.json(switches.get()))
    .put('/admin/switches', async (c) => {
      const patch = await readJson(c, switchesPatchSchema);
      const cleaned: Partial<SwitchSettings> = {};
      for (const [key, value] of Object.entries(patch)) if (value !== undefined) (cleaned as Record<string, unknown>)[key] = value;
      return c.json(switches.update(cleaned));
    })
    .get('/admin/stats', (c) => c.json({ requests: stats.requests() }))
    .delete('/admin/stats', reset)
    .post('/admin/stats/reset', reset);
  app.onError(createErrorHandler());
  app.notFound(notFoundHandler);
  return app;
}
export type AdminAppType = ReturnType<typeof createAdminApp>;

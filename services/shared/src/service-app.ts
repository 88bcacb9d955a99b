// Builds a service's Hono app with the shared behaviour in a fixed order: one observing middleware
// (request id, trace id, identity headers, metrics, request count, one log line), then /healthz,
// /readyz and /metrics, then the behaviour switches, then the service's own routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import { METHOD_NAME_ALL } from 'hono/router';
import { matchedRoutes } from 'hono/route';
import type { CommonConfig } from './config.ts';
import { createErrorHandler, notFoundHandler } from './errors.ts';
import { sendsIdentity } from './identity-response.ts';
import { createHealthRoutes, createLifecycle, identityHeaders, identityOf, type Lifecycle } from './lifecycle.ts';
import { createLogger, logRequest, type Logger } from './logging.ts';
import { createMetrics, METRICS_CONTENT_TYPE, type Metrics } from './metrics.ts';
import {
  fetchHeaderReader,
  nodeHeaderReader,
  pickForwardHeaders,
  requestIdFrom,
  traceIdFrom,
  type ForwardHeaders,
  type HeaderReader,
} from './propagation.ts';
import { createRequestStats, createSwitches, type RandomSource, type RequestStats, type Sleep, type Switches } from './switches.ts';

export type ServiceEnv = {
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  Variables: { requestId: string; traceId: string | undefined };
};

export interface Runtime {
  config: CommonConfig;
  logger: Logger;
  metrics: Metrics;
  stats: RequestStats;
  switches: Switches;
  lifecycle: Lifecycle;
}

export interface RuntimeOptions {
  logger?: Logger;
  random?: RandomSource;
  sleep?: Sleep;
}

/** The shared per-process parts, built from config; tests pass a quiet logger or a fixed random source. */
export function createRuntime(config: CommonConfig, options: RuntimeOptions = {}): Runtime {
  return {
    config,
    logger: options.logger ?? createLogger({ service: config.service, level: config.logLevel }),
    metrics: createMetrics(config.service),
    stats: createRequestStats(),
    switches: createSwitches(config.switches, { random: options.random, sleep: options.sleep }),
    lifecycle: createLifecycle(),
  };
}

/** Routes that are not "requests served": probes and scrapes. */
const INFRA_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
const UNMATCHED = 'unmatched';

function headerReader(c: Context<ServiceEnv>): HeaderReader {
  const incoming = c.env?.incoming;
  return incoming?.headers ? nodeHeaderReader(incoming.headers) : fetchHeaderReader(c.req.raw.headers);
}

/** The headers to send on an upstream call made while handling this request. */
export function forwardHeaders(c: Context<ServiceEnv>): ForwardHeaders {
  return pickForwardHeaders(headerReader(c), c.get('requestId'));
}

/** The route pattern of the handler (not middleware) that matched, or "unmatched". */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== METHOD_NAME_ALL) return route.path;
  }
  return UNMATCHED;
}

export function createServiceApp(runtime: Runtime): Hono<ServiceEnv> {
  const { logger, metrics, stats, switches, lifecycle } = runtime;
  const identity = identityOf(runtime.config);
  const identityEntries = Object.entries(identityHeaders(identity));
  const app = new Hono<ServiceEnv>();

  app.use('*', async function observe(c, next) {
    const started = performance.now();
    const read = headerReader(c);
    const requestId = requestIdFrom(read);
    const traceId = traceIdFrom(read);
    c.set('requestId', requestId);
    c.set('traceId', traceId);
    // startService's server adds the identity headers as it writes the head (identity-response.ts),
    // which keeps Hono's fast path for c.json(); elsewhere (app.request()) they go on the context.
    const outgoing = c.env?.outgoing;
    if (!sendsIdentity(outgoing)) for (const [name, value] of identityEntries) c.header(name, value);
    await next();
    // Checked after the handler so a request that was in flight when draining began closes too.
    if (lifecycle.draining) {
      if (outgoing) outgoing.setHeader('connection', 'close');
      else c.header('connection', 'close');
    }
    const durationMs = performance.now() - started;
    const route = routeLabel(c);
    const status = c.res.status;
    metrics.record(c.req.method, route, status, durationMs / 1000);
    const infra = INFRA_ROUTES.has(route);
    if (!infra) stats.increment();
    logRequest(logger, { method: c.req.method, path: c.req.path, route, status, durationMs, requestId, traceId }, infra ? 'debug' : 'info');
  });
  app.route('/', createHealthRoutes(lifecycle, identity));
  app.get('/metrics', (c) => c.body(metrics.render(), 200, { 'content-type': METRICS_CONTENT_TYPE }));
  app.use('*', switches.middleware);
  app.onError(createErrorHandler(logger));
  app.notFound(notFoundHandler);
  return app;
}

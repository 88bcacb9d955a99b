// Serves a service's app and admin app with @hono/node-server and drains them on SIGTERM/SIGINT:
// readiness false → stop accepting → in-flight requests finish → idle keep-alive sockets close →
// exit, with a hard deadline (SHUTDOWN_TIMEOUT_MS) that cuts whatever is left.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { loadConfig, type CommonConfig, type LoadConfigOptions, type ServiceConfig, type Setting } from './config.ts';
import { identityResponse } from './identity-response.ts';
import { identityHeaders, identityOf } from './lifecycle.ts';
import type { Runtime } from './service-app.ts';
import { createAdminApp } from './switches.ts';

/** Above Envoy's idle timeout (1 h by default for upstream, ~60 s common for proxies) so the app never closes a socket the sidecar is about to reuse. */
export const KEEP_ALIVE_TIMEOUT_MS = 70_000;
/** Must be above keepAliveTimeout, or Node may cut a reused socket while it waits for headers. */
export const HEADERS_TIMEOUT_MS = 75_000;
const IDLE_SWEEP_INTERVAL_MS = 50;

export interface RunningService {
  port: number;
  adminPort: number;
  /** Drains and closes both servers; resolves true if everything finished before the deadline. */
  shutdown(reason: string): Promise<boolean>;
}

export interface StartOptions {
  // Any Hono app: services type theirs with their own Env.
  app: Hono<any, any, any>;
  runtime: Runtime;
  /** Closed after the servers (upstream pools, timers). */
  onClose?: () => Promise<void> | void;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A Node server for the app; with `identity`, every answer carries those headers (see identity-response.ts). */
function createServer(app: Hono<any, any, any>, identity?: Readonly<Record<string, string>>): Server {
  const server = createAdaptorServer({ fetch: app.fetch, ...(identity ? { serverOptions: { ServerResponse: identityResponse(identity) } } : {}) }) as Server;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  return server;
}

/** Resolves when the server has closed (every connection ended). */
function closeGracefully(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    // Busy keep-alive sockets become idle when their response ends; sweep them until none are left.
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export async function startService(options: StartOptions): Promise<RunningService> {
  const { runtime } = options;
  const { config, logger, lifecycle } = runtime;
  const server = createServer(options.app, identityHeaders(identityOf(config)));
  const adminServer = createServer(createAdminApp({ switches: runtime.switches, stats: runtime.stats, allowedHosts: config.adminAllowedHosts }));
  let port: number;
  let adminPort: number;
  try {
    port = await listen(server, config.port, config.host);
    adminPort = await listen(adminServer, config.adminPort, config.host);
  } catch (error) {
    server.close();
    adminServer.close();
    throw error;
  }

  let shuttingDown: Promise<boolean> | undefined;
  const shutdown = (reason: string): Promise<boolean> => {
    shuttingDown ??= (async () => {
      logger.info('draining', { reason, deadlineMs: config.shutdownTimeoutMs });
      lifecycle.startDraining();
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        deadline = setTimeout(() => resolve(false), config.shutdownTimeoutMs);
      });
      const drained = Promise.all([closeGracefully(server), closeGracefully(adminServer)]).then(() => true);
      const clean = await Promise.race([drained, timedOut]);
      clearTimeout(deadline);
      if (!clean) {
        logger.warn('shutdown deadline reached, closing remaining connections', { deadlineMs: config.shutdownTimeoutMs });
        server.closeAllConnections();
        adminServer.closeAllConnections();
      }
      try {
        await options.onClose?.();
      } catch (error) {
        logger.warn('error while closing', { error });
      }
      logger.info('stopped', { clean });
      logger.flush();
      return clean;
    })();
    return shuttingDown;
  };

  return { port, adminPort, shutdown };
}

/**
 * What main.ts calls: serve, print the `listening` line with the real ports, drain on
 * SIGTERM/SIGINT and exit. A start failure (busy port) is printed and exits 1.
 */
export async function runService(options: StartOptions): Promise<RunningService> {
  const { config, logger } = options.runtime;
  let running: RunningService;
  try {
    running = await startService(options);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const message =
      err.code === 'EADDRINUSE'
        ? `port already in use (PORT=${config.port}, ADMIN_PORT=${config.adminPort}); stop the other process or pick another port`
        : err.message;
    logger.error('failed to start', { error: message });
    logger.flush();
    process.exit(1);
  }
  // Written whatever LOG_LEVEL says: the dev runner and test harnesses read the ports from it.
  logger.flush();
  process.stdout.write(`${listeningLine(config.service, running.port, running.adminPort, config)}\n`);
  const onSignal = (signal: NodeJS.Signals) => {
    void running.shutdown(signal).then((clean) => process.exit(clean ? 0 : 1));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return running;
}

export function listeningLine(service: string, port: number, adminPort: number, config: Pick<CommonConfig, 'host' | 'serviceVersion' | 'podName'>): string {
  return JSON.stringify({ time: new Date().toISOString(), level: 'info', service, msg: 'listening', port, adminPort, host: config.host, version: config.serviceVersion, pod: config.podName });
}

/** loadConfig, or print the error naming the variable and exit 1; used by every main.ts. */
export function loadConfigOrExit<S extends Record<string, Setting<unknown>> = Record<never, Setting<unknown>>>(options: LoadConfigOptions<S>): ServiceConfig<S> {
  try {
    return loadConfig(options);
  } catch (error) {
    exitOnConfigError(options.service, error);
  }
}

/** Prints a config error naming the variable and exits 1. */
export function exitOnConfigError(service: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', service, msg: 'invalid configuration', error: message })}\n`);
  process.exit(1);
}

export type { CommonConfig };

// Helpers for service unit tests: a runtime with a quiet logger and test config, and a JSON request.
import { testConfig, type CommonConfig } from './config.ts';
import { createLogger } from './logging.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from './service-app.ts';

export function testRuntime(overrides: Partial<CommonConfig> & { service: string }, options: Omit<RuntimeOptions, 'logger'> = {}): Runtime {
  return createRuntime(testConfig(overrides), { ...options, logger: createLogger({ service: overrides.service, sink: { write: () => undefined } }) });
}

/** RequestInit for a JSON body, with extra headers. */
export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

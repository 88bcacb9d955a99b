// Settings come from the environment, are parsed once at start and frozen. A bad or missing value
// throws a ConfigError naming every offending variable; main.ts prints it and exits 1.
import os from 'node:os';

export class ConfigError extends Error {
  readonly variables: readonly string[];
  constructor(problems: ReadonlyArray<{ variable: string; problem: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join('; ')}`);
    this.name = 'ConfigError';
    this.variables = problems.map((p) => p.variable);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads one variable; throws a plain Error with the problem (the variable name is added by the caller). */
export interface Setting<T> {
  readonly variable: string;
  read(raw: string | undefined): T;
}

const present = (raw: string | undefined): raw is string => raw !== undefined && raw.trim() !== '';

export function intSetting(variable: string, fallback: number, range: { min: number; max: number }): Setting<number> {
  return {
    variable,
    read(raw) {
      if (!present(raw)) return fallback;
      const text = raw.trim();
      if (!/^-?\d+$/.test(text)) throw new Error(`must be an integer, got ${JSON.stringify(raw)}`);
      const value = Number(text);
      if (value < range.min || value > range.max) throw new Error(`must be between ${range.min} and ${range.max}, got ${value}`);
      return value;
    },
  };
}

export function stringSetting(variable: string, fallback?: string): Setting<string> {
  return {
    variable,
    read(raw) {
      if (present(raw)) return raw.trim();
      if (fallback === undefined) throw new Error('is required');
      return fallback;
    },
  };
}

export function optionalStringSetting(variable: string): Setting<string | undefined> {
  return { variable, read: (raw) => (present(raw) ? raw.trim() : undefined) };
}

/** A comma-separated list of host names; empty when unset. */
export function listSetting(variable: string): Setting<readonly string[]> {
  return {
    variable,
    read(raw) {
      if (!present(raw)) return Object.freeze([]);
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      for (const item of items) if (!/^[a-z\d]([a-z\d.-]{0,251}[a-z\d])?$/i.test(item)) throw new Error(`must be comma-separated host names, got ${JSON.stringify(item)}`);
      return Object.freeze(items);
    },
  };
}

export function enumSetting<const T extends string>(variable: string, choices: readonly T[], fallback: T): Setting<T> {
  return {
    variable,
    read(raw) {
      if (!present(raw)) return fallback;
      const text = raw.trim();
      if (!(choices as readonly string[]).includes(text)) throw new Error(`must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
      return text as T;
    },
  };
}

export function boolSetting(variable: string, fallback: boolean): Setting<boolean> {
  return {
    variable,
    read(raw) {
      if (!present(raw)) return fallback;
      const text = raw.trim().toLowerCase();
      if (text === 'true' || text === '1' || text === 'yes') return true;
      if (text === 'false' || text === '0' || text === 'no') return false;
      throw new Error(`must be true or false, got ${JSON.stringify(raw)}`);
    },
  };
}

export function urlSetting(variable: string, fallback: string): Setting<string> {
  return {
    variable,
    read(raw) {
      const text = present(raw) ? raw.trim() : fallback;
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new Error(`must be an http(s) URL, got ${JSON.stringify(raw)}`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`must be an http(s) URL, got ${JSON.stringify(raw)}`);
      // Only the origin is used; a path would be silently dropped by the pool, so refuse it.
      if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw new Error(`must be a base URL without a path, got ${JSON.stringify(raw)}`);
      return url.origin;
    },
  };
}

/** Dev ports from CONTRIBUTING.md; the admin port is the dev port + 100. */
export const DEV_PORTS = Object.freeze({
  storefront: 5000,
  users: 5001,
  products: 5002,
  orders: 5003,
  payments: 5004,
  notifications: 5005,
} as const);
export type ServiceName = keyof typeof DEV_PORTS;

/** `USERS_URL` etc., defaulting to the upstream's dev port on 127.0.0.1. */
export function upstreamUrlSetting(service: ServiceName): Setting<string> {
  return urlSetting(`${service.toUpperCase()}_URL`, `http://127.0.0.1:${DEV_PORTS[service]}`);
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface SwitchSettings {
  latencyMs: number;
  latencyPercent: number;
  errorPercent: number;
  errorStatus: number;
  alwaysFail: boolean;
}

export interface CommonConfig {
  readonly service: string;
  readonly port: number;
  readonly adminPort: number;
  readonly host: string;
  readonly serviceVersion: 'v1' | 'v2';
  readonly podName: string;
  readonly upstreamTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
  readonly nodeEnv: string;
  /** Host names (besides IP literals and localhost) the admin port answers to. */
  readonly adminAllowedHosts: readonly string[];
  readonly switches: Readonly<SwitchSettings>;
}

export const SWITCH_LIMITS = Object.freeze({
  latencyMs: { min: 0, max: 600_000 },
  percent: { min: 0, max: 100 },
  errorStatus: { min: 400, max: 599 },
});

const commonSettings = (devPort: number) => ({
  port: intSetting('PORT', devPort, { min: 0, max: 65535 }),
  adminPort: intSetting('ADMIN_PORT', devPort + 100, { min: 0, max: 65535 }),
  host: stringSetting('HOST', '127.0.0.1'),
  serviceVersion: enumSetting('SERVICE_VERSION', ['v1', 'v2'], 'v1'),
  podName: stringSetting('POD_NAME', os.hostname()),
  upstreamTimeoutMs: intSetting('UPSTREAM_TIMEOUT_MS', 2000, { min: 1, max: 600_000 }),
  logLevel: enumSetting('LOG_LEVEL', LOG_LEVELS, 'info'),
  shutdownTimeoutMs: intSetting('SHUTDOWN_TIMEOUT_MS', 10_000, { min: 0, max: 600_000 }),
  nodeEnv: stringSetting('NODE_ENV', 'production'),
  adminAllowedHosts: listSetting('ADMIN_ALLOWED_HOSTS'),
  latencyMs: intSetting('LATENCY_MS', 0, SWITCH_LIMITS.latencyMs),
  latencyPercent: intSetting('LATENCY_PERCENT', 100, SWITCH_LIMITS.percent),
  errorPercent: intSetting('ERROR_PERCENT', 0, SWITCH_LIMITS.percent),
  errorStatus: intSetting('ERROR_STATUS', 503, SWITCH_LIMITS.errorStatus),
  alwaysFail: boolSetting('ALWAYS_FAIL', false),
});

type SettingValues<S extends Record<string, Setting<unknown>>> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Reads every setting, collecting all problems into one ConfigError. */
export function readSettings<S extends Record<string, Setting<unknown>>>(settings: S, env: Env): SettingValues<S> {
  const values: Record<string, unknown> = {};
  const problems: Array<{ variable: string; problem: string }> = [];
  for (const [key, setting] of Object.entries(settings)) {
    try {
      values[key] = setting.read(env[setting.variable]);
    } catch (error) {
      problems.push({ variable: setting.variable, problem: (error as Error).message });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as SettingValues<S>;
}

export interface LoadConfigOptions<S extends Record<string, Setting<unknown>>> {
  service: string;
  /** Default PORT; ADMIN_PORT defaults to devPort + 100. */
  devPort: number;
  /** The service's own settings, e.g. `{ productsUrl: upstreamUrlSetting('products') }`. */
  settings?: S;
}

export type ServiceConfig<S extends Record<string, Setting<unknown>> = Record<never, Setting<unknown>>> = CommonConfig & SettingValues<S>;

export function loadConfig<S extends Record<string, Setting<unknown>> = Record<never, Setting<unknown>>>(
  options: LoadConfigOptions<S>,
  env: Env = process.env,
): ServiceConfig<S> {
  const own = options.settings ?? ({} as S);
  const all = readSettings({ ...commonSettings(options.devPort), ...own }, env) as Record<string, unknown>;
  const switches: SwitchSettings = Object.freeze({
    latencyMs: all.latencyMs as number,
    latencyPercent: all.latencyPercent as number,
    errorPercent: all.errorPercent as number,
    errorStatus: all.errorStatus as number,
    alwaysFail: all.alwaysFail as boolean,
  });
  for (const key of Object.keys(switches)) delete all[key];
  return Object.freeze({ ...all, service: options.service, switches }) as unknown as ServiceConfig<S>;
}

/** A config for tests: defaults plus overrides, no environment read. */
export function testConfig<T extends object = object>(overrides: Partial<CommonConfig> & T & { service: string }): CommonConfig & T {
  const base = loadConfig({ service: overrides.service, devPort: 0 }, { PORT: '0', ADMIN_PORT: '0', POD_NAME: 'test-pod' });
  return Object.freeze({ ...base, ...overrides });
}

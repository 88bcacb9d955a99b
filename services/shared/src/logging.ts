// Structured JSON log lines on stdout. Lines are buffered and written once per event-loop turn, so
// a request costs one JSON.stringify and no synchronous write; flush() drains the buffer on exit.
import type { LogLevel } from './config.ts';

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly service: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
  /** Writes anything buffered now. */
  flush(): void;
}

export interface LogSink {
  write(text: string): void;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const MAX_BUFFERED_CHARS = 64 * 1024;

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  sink?: LogSink;
  /** Write each line at once instead of batching per event-loop turn (tests, the `listening` line). */
  immediate?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const sink: LogSink = options.sink ?? process.stdout;
  const threshold = RANK[options.level ?? 'info'];
  const service = options.service;
  const servicePrefix = `,"service":${JSON.stringify(service)},"msg":`;
  let buffer = '';
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    if (buffer === '') return;
    const text = buffer;
    buffer = '';
    sink.write(text);
  };

  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return;
    let line = `{"time":"${new Date().toISOString()}","level":"${level}"${servicePrefix}${JSON.stringify(msg)}`;
    if (fields !== undefined) {
      for (const key in fields) {
        const value = fields[key];
        if (value === undefined || key === 'time' || key === 'level' || key === 'service' || key === 'msg') continue;
        line += `,${JSON.stringify(key)}:${stringifyValue(value)}`;
      }
    }
    buffer += `${line}}\n`;
    if (options.immediate || buffer.length > MAX_BUFFERED_CHARS) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return {
    service,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    enabled: (level) => RANK[level] >= threshold,
    flush,
  };
}

function stringifyValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify({ name: value.name, message: value.message, stack: value.stack });
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify(String(value));
  }
}

export interface RequestLogEntry {
  method: string;
  path: string;
  route: string;
  status: number;
  durationMs: number;
  requestId: string;
  traceId: string | undefined;
}

/** The one line written per request. */
export function logRequest(logger: Logger, entry: RequestLogEntry, level: LogLevel = 'info'): void {
  if (!logger.enabled(level)) return;
  logger[level]('request', {
    method: entry.method,
    path: entry.path,
    route: entry.route,
    status: entry.status,
    durationMs: Math.round(entry.durationMs * 1000) / 1000,
    requestId: entry.requestId,
    traceId: entry.traceId,
  });
}

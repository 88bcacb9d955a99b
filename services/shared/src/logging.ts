// Structured JSON log lines on stdout. Lines are buffered and written together at most every
// FLUSH_DELAY_MS (or at 64 KB), so a busy server makes ~100 stdout writes a second instead of one
// per event-loop turn (the write was most of a line's cost); flush() drains the buffer on exit. The per-request line is
// built as one string from known fields, and the timestamp is formatted once per millisecond.
// Node queues writes to a pipe in memory without limit, so when nothing reads stdout fast enough
// (a stalled log collector) lines are dropped past MAX_QUEUED_BYTES and the next line written says
// how many: the service's memory stays bounded and the gap in the log is visible.
import type { LogLevel } from './config.ts';

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly service: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
  /** Writes a line from already serialised JSON members (`,"key":value…`): the per-request line's fast path. */
  writeMembers(level: LogLevel, msg: string, members: string): void;
  /** Writes anything buffered now. */
  flush(): void;
}

export interface LogSink {
  write(text: string): void;
  /** Bytes written but not yet taken by the reader (a stream's writableLength). */
  readonly writableLength?: number;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const MAX_BUFFERED_CHARS = 64 * 1024;
/** Bytes the sink may hold unread before lines are dropped (a few seconds of a busy server's log). */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** How long a line may wait in the buffer: short enough for a person or a test reading the log. */
export const FLUSH_DELAY_MS = 10;

let lastMs = Number.NaN;
let lastIso = '';
/** new Date().toISOString(), formatted once per millisecond: a busy server writes many lines in one. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

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
  let bufferedLines = 0;
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer === '') return;
    const text = buffer;
    const lines = bufferedLines;
    buffer = '';
    bufferedLines = 0;
    if ((sink.writableLength ?? 0) > MAX_QUEUED_BYTES) {
      dropped += lines;
      return;
    }
    if (dropped > 0) {
      const notice = `{"time":"${isoNow()}${levelPrefix.warn}"log lines dropped","dropped":${dropped},"reason":"stdout was not read fast enough"}\n`;
      dropped = 0;
      sink.write(notice + text);
      return;
    }
    sink.write(text);
  };

  const levelPrefix: Readonly<Record<LogLevel, string>> = {
    debug: `","level":"debug"${servicePrefix}`,
    info: `","level":"info"${servicePrefix}`,
    warn: `","level":"warn"${servicePrefix}`,
    error: `","level":"error"${servicePrefix}`,
  };

  const writeMembers = (level: LogLevel, msg: string, members: string): void => {
    if (RANK[level] < threshold) return;
    buffer += `{"time":"${isoNow()}${levelPrefix[level]}${JSON.stringify(msg)}${members}}\n`;
    bufferedLines++;
    if (options.immediate || buffer.length > MAX_BUFFERED_CHARS) flush();
    else timer ??= setTimeout(flush, FLUSH_DELAY_MS);
  };

  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return;
    let members = '';
    if (fields !== undefined) {
      for (const key in fields) {
        const value = fields[key];
        if (value === undefined || key === 'time' || key === 'level' || key === 'service' || key === 'msg') continue;
        members += `,${JSON.stringify(key)}:${stringifyValue(value)}`;
      }
    }
    writeMembers(level, msg, members);
  };

  return {
    service,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    enabled: (level) => RANK[level] >= threshold,
    writeMembers,
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

const routeJson = new Map<string, string>();
const MAX_CACHED_ROUTES = 1_000;

/** A route pattern as a JSON string; patterns are few, so each is serialised once. */
function jsonRoute(route: string): string {
  let json = routeJson.get(route);
  if (json === undefined) {
    json = JSON.stringify(route);
    if (routeJson.size < MAX_CACHED_ROUTES) routeJson.set(route, json);
  }
  return json;
}

const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** The one line written per request, built as one string (no fields object, no per-key stringify). */
export function logRequest(logger: Logger, entry: RequestLogEntry, level: LogLevel = 'info'): void {
  if (!logger.enabled(level)) return;
  const trace = entry.traceId === undefined ? '' : `,"traceId":${JSON.stringify(entry.traceId)}`;
  logger.writeMembers(
    level,
    'request',
    `,"method":${JSON.stringify(entry.method)},"path":${JSON.stringify(entry.path)},"route":${jsonRoute(entry.route)},"status":${jsonNumber(entry.status)},"durationMs":${jsonNumber(Math.round(entry.durationMs * 1000) / 1000)},"requestId":${JSON.stringify(entry.requestId)}${trace}`,
  );
}

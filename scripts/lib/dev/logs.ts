// Prefixed, coloured log lines for `npm run dev`. Colour only on a terminal and never with NO_COLOR.

const PALETTE = [36, 33, 35, 32, 34, 96, 93, 95, 92, 94] as const;

export function colourEnabled(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export interface Prefixer {
  /** The line with the service's padded, coloured prefix. */
  format(service: string, line: string, stream?: 'stdout' | 'stderr'): string;
  /** A line from the runner itself. */
  note(line: string): string;
}

const SKIPPED_FIELDS = new Set(['time', 'level', 'service', 'msg']);
const LEVEL_COLOUR: Readonly<Record<string, number>> = { debug: 90, info: 0, warn: 33, error: 31 };

/**
 * A service's JSON log line as a person reads it: `12:04:05 GET /products/101 200 1.4ms` for a
 * request, `12:04:05 warn message key=value` otherwise. Lines that are not JSON objects pass through.
 */
export function humanizeLogLine(line: string, paint: (code: number, text: string) => string = (_c, t) => t): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (!entry || typeof entry !== 'object' || typeof entry.msg !== 'string') return line;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = typeof entry.level === 'string' ? entry.level : 'info';
  if (entry.msg === 'request' && typeof entry.method === 'string') {
    const status = Number(entry.status);
    const head = `${time} ${entry.method} ${String(entry.path)} ${paint(status >= 500 ? 31 : status >= 400 ? 33 : 32, String(entry.status))} ${Number(entry.durationMs).toFixed(1)}ms`;
    return entry.traceId ? `${head} ${paint(90, `trace=${String(entry.traceId)}`)}` : head;
  }
  const fields = Object.entries(entry)
    .filter(([k]) => !SKIPPED_FIELDS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const label = level === 'info' ? '' : `${paint(LEVEL_COLOUR[level] ?? 0, level)} `;
  return `${time} ${label}${entry.msg}${fields.length ? ` ${paint(90, fields.join(' '))}` : ''}`;
}

/** True for a line that is one JSON object: what --json-logs passes through untouched. */
export function isJsonObjectLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

export function createPrefixer(services: readonly string[], colour: boolean, options: { rawJson?: boolean } = {}): Prefixer {
  const width = Math.max(3, ...services.map((s) => s.length));
  const code = new Map(services.map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
  const paint = (c: number, text: string) => (colour ? `\x1b[${c}m${text}\x1b[0m` : text);
  return {
    format(service, line, stream = 'stdout') {
      const prefix = paint(code.get(service) ?? 37, `${service.padEnd(width)} |`);
      const text = stream === 'stderr' ? paint(31, line) : options.rawJson ? line : humanizeLogLine(line, paint);
      return `${prefix} ${text}`;
    },
    note(line) {
      return `${paint(1, `${'dev'.padEnd(width)} |`)} ${line}`;
    },
  };
}

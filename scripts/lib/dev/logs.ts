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

export function createPrefixer(services: readonly string[], colour: boolean): Prefixer {
  const width = Math.max(3, ...services.map((s) => s.length));
  const code = new Map(services.map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
  const paint = (c: number, text: string) => (colour ? `\x1b[${c}m${text}\x1b[0m` : text);
  return {
    format(service, line, stream = 'stdout') {
      const prefix = paint(code.get(service) ?? 37, `${service.padEnd(width)} |`);
      return `${prefix} ${stream === 'stderr' ? paint(31, line) : line}`;
    },
    note(line) {
      return `${paint(1, `${'dev'.padEnd(width)} |`)} ${line}`;
    },
  };
}

// Argument parsing and help text shared by every script entry file.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
  description: string;
  /** For string options: the accepted values, checked before the script does anything. */
  choices?: readonly string[];
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  name: string;
  summary: string;
  usage: string;
  options: O;
  /** Extra paragraphs printed after the options (examples, notes). */
  details?: string;
  allowPositionals?: boolean;
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['multiple'] extends true
    ? string[]
    : string | undefined;

export type ParsedOptions<O extends Record<string, OptionSpec>> = { [K in keyof O]: ValueOf<O[K]> };

export class UsageError extends Error {
  override name = 'UsageError';
}

export function helpText<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
  const rows = Object.entries({ ...spec.options, help: { type: 'boolean', short: 'h', description: 'Show this help.' } as OptionSpec });
  const labels = rows.map(([name, o]) => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' <value>' : ''}`);
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  const lines = rows.map(([, o], i) => {
    const extra = [o.choices ? `one of: ${o.choices.join(', ')}` : '', o.default !== undefined && o.default !== false ? `default: ${String(o.default)}` : '']
      .filter(Boolean)
      .join('; ');
    return `  ${labels[i]!.padEnd(width)}${o.description}${extra ? ` (${extra})` : ''}`;
  });
  return [`${spec.name}: ${spec.summary}`, '', `Usage: ${spec.usage}`, '', 'Options:', ...lines, ...(spec.details ? ['', spec.details.trim()] : []), ''].join('\n');
}

/** Parses argv against the spec. Returns null when help was printed. Throws UsageError on bad input. */
export function parseCommand<O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  argv: string[] = process.argv.slice(2),
  out: (text: string) => void = (t) => process.stdout.write(t),
): { options: ParsedOptions<O>; positionals: string[] } | null {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}), ...(o.default !== undefined ? { default: o.default as never } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: spec.allowPositionals ?? false, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun with --help to see the options.`);
  }
  if (parsed.values.help) {
    out(helpText(spec));
    return null;
  }
  for (const [name, o] of Object.entries(spec.options)) {
    const value = parsed.values[name];
    if (o.choices && value !== undefined) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (!o.choices.includes(String(v))) throw new UsageError(`--${name} must be one of ${o.choices.join(', ')}; got "${String(v)}".`);
      }
    }
  }
  return { options: parsed.values as ParsedOptions<O>, positionals: parsed.positionals };
}

/** Runs a script's main function and turns thrown errors into a clear message and exit code. */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    const e = err as Error & { hint?: string };
    process.stderr.write(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
    if (process.env.SHOPMESH_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}

/** An error that carries the exact fix for the user. */
export class FixableError extends Error {
  // A declared field, not a parameter property: Node's type stripping runs this file without tsx.
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.hint = hint;
  }
}

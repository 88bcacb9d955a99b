// The step runner behind every script: it runs commands and API calls with progress shown, or,
// with --dry-run, records and prints them as the plan without touching anything.
import { $, spinner } from 'zx';

export interface ExecOptions {
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Return a non-zero result instead of throwing. */
  allowFailure?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  // Declared fields, not parameter properties: Node's type stripping runs this file without tsx.
  readonly command: string;
  readonly result: ExecResult;
  readonly hint?: string;
  constructor(command: string, result: ExecResult, hint?: string) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    super(`command failed (exit ${result.code}): ${command}${tail ? `\n${tail}` : ''}`);
    this.command = command;
    this.result = result;
    this.hint = hint;
  }
}

export interface Output {
  write(text: string): void;
}

export interface RunnerOptions {
  dryRun?: boolean;
  verbose?: boolean;
  out?: Output;
  /** Spinners on a terminal; plain lines otherwise (CI, tests, pipes). */
  interactive?: boolean;
}

/** Quotes an argument for display the way a POSIX shell would need it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

export class Runner {
  readonly dryRun: boolean;
  readonly verbose: boolean;
  /** Every mutating command and API call, in order: the plan in dry-run, the log otherwise. */
  readonly plan: string[] = [];
  private readonly out: Output;
  private readonly interactive: boolean;
  private depth = 0;

  constructor(options: RunnerOptions = {}) {
    this.dryRun = options.dryRun ?? false;
    this.verbose = options.verbose ?? Boolean(process.env.SHOPMESH_VERBOSE);
    this.out = options.out ?? process.stdout;
    this.interactive = options.interactive ?? (Boolean(process.stdout.isTTY) && !process.env.CI);
  }

  /** A read-only command (a lookup of current state). It runs even in dry-run, so plans can branch on what exists. */
  async query(cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.spawn(cmd, args, { ...options, allowFailure: options.allowFailure ?? true });
  }

  /** A command that changes something. In dry-run it is printed and recorded, and reports success. */
  async exec(cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const line = `$ ${formatCommand(cmd, args)}${options.input !== undefined ? ' <<stdin' : ''}`;
    this.record(line, options.input);
    if (this.dryRun) return { code: 0, stdout: '', stderr: '' };
    return this.spawn(cmd, args, options);
  }

  /**
   * A Kubernetes (or other) API call that changes something. In dry-run it is printed and recorded
   * only; `content` (a file it writes, say) is shown with it, so the plan hides nothing.
   */
  async api<T>(description: string, call: () => Promise<T>, content?: string): Promise<T | undefined> {
    this.record(`api: ${description}`, content);
    if (this.dryRun) return undefined;
    return call();
  }

  /** A titled step with progress: a spinner on a terminal, start and end lines elsewhere. */
  async step<T>(title: string, body: () => Promise<T>): Promise<T> {
    const indent = '  '.repeat(this.depth);
    if (this.dryRun) {
      this.out.write(`${indent}==> ${title}\n`);
      this.depth++;
      try {
        return await body();
      } finally {
        this.depth--;
      }
    }
    const started = Date.now();
    const useSpinner = this.interactive && !this.verbose && this.depth === 0;
    if (!useSpinner) this.out.write(`${indent}… ${title}\n`);
    this.depth++;
    try {
      const result = useSpinner ? await spinner(title, body) : await body();
      this.out.write(`${indent}✓ ${title} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
      return result;
    } catch (err) {
      this.out.write(`${indent}✗ ${title}\n`);
      throw err;
    } finally {
      this.depth--;
    }
  }

  /** A line of information (shown in dry-run too). */
  note(message: string): void {
    this.out.write(`${'  '.repeat(this.depth)}${message}\n`);
  }

  private record(line: string, body?: string): void {
    this.plan.push(line);
    if (!(this.dryRun || this.verbose)) return;
    const indent = '  '.repeat(this.depth);
    this.out.write(`${indent}${line}\n`);
    if (body !== undefined) {
      // The exact bytes: stdin fed to the command, or the file written, between visible fences.
      const lines = body.replace(/\n$/, '').split('\n');
      this.out.write(`${indent}  ┌──\n${lines.map((l) => `${indent}  │ ${l}`).join('\n')}\n${indent}  └──\n`);
    }
  }

  private async spawn(cmd: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const shell = $({
      quiet: !this.verbose,
      nothrow: true,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...process.env, ...options.env },
    });
    let proc = shell`${cmd} ${args}`;
    if (options.timeoutMs) proc = proc.timeout(options.timeoutMs);
    let output;
    try {
      output = await proc;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') throw new CommandError(formatCommand(cmd, args), { code: 127, stdout: '', stderr: `${cmd}: not found on PATH` });
      throw err;
    }
    const result: ExecResult = { code: output.exitCode ?? 1, stdout: output.stdout, stderr: output.stderr };
    if (result.code !== 0 && !options.allowFailure) throw new CommandError(formatCommand(cmd, args), result);
    return result;
  }
}

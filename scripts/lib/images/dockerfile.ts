// Reads the parts of the Dockerfile and .dockerignore that the image build relies on: which stages
// copy which paths from the context (the content tag hashes exactly those), and which files the
// context leaves out.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

export interface CopyInstruction {
  /** Sources as written, with `${VAR}` still in them. */
  sources: string[];
  dest: string;
  /** `--from=<stage>`: copies from another stage, not from the build context. */
  from?: string;
  line: number;
}

export interface Stage {
  name: string;
  base: string;
  args: string[];
  copies: CopyInstruction[];
  /** Every instruction keyword and its arguments, in order. */
  instructions: { keyword: string; args: string; line: number }[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults (undefined when none). */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
}

/** Joins continuation lines and drops comments, keeping the line number of each instruction. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending && trimmed.startsWith('#')) return;
    if (!pending) start = i + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      return;
    }
    out.push({ text: `${pending}${trimmed}`.trim(), line: start });
    pending = '';
  });
  if (pending) out.push({ text: pending.trim(), line: start });
  return out;
}

/** Splits an instruction's arguments: a JSON array form or whitespace-separated words. */
function words(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return args.split(/\s+/).filter(Boolean);
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  for (const { text: l, line } of logicalLines(text)) {
    const m = /^(\w+)\s*(.*)$/.exec(l);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!;
    const stage = stages.at(-1);
    if (keyword === 'FROM') {
      const [base, as, name] = words(args).filter((w) => !w.startsWith('--'));
      stages.push({ name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length), base: base ?? '', args: [], copies: [], instructions: [] });
      continue;
    }
    if (!stage) {
      if (keyword === 'ARG') {
        const [name, value] = args.split('=', 2) as [string, string | undefined];
        globalArgs[name.trim()] = value;
      }
      continue;
    }
    stage.instructions.push({ keyword, args, line });
    if (keyword === 'ARG') stage.args.push(args.split('=')[0]!.trim());
    if (keyword === 'COPY' || keyword === 'ADD') {
      const all = words(args);
      const flags = all.filter((w) => w.startsWith('--'));
      const rest = all.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      stage.copies.push({ sources: rest.slice(0, -1), dest: rest.at(-1) ?? '', ...(from ? { from } : {}), line });
    }
  }
  return { globalArgs, stages };
}

/** Replaces `${NAME}` and `$NAME` with the build argument's value. */
export function substitute(value: string, buildArgs: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    if (!(name in buildArgs)) throw new Error(`Dockerfile uses \${${name}} but no build argument sets it`);
    return buildArgs[name]!;
  });
}

/** The stages a target needs: itself, the stages it builds FROM, and those it COPYs --from. */
export function stagesFor(file: Dockerfile, target: string): Stage[] {
  const byName = new Map(file.stages.map((s) => [s.name, s]));
  const needed = new Set<string>();
  const visit = (name: string): void => {
    const stage = byName.get(name);
    if (!stage || needed.has(name)) return;
    needed.add(name);
    visit(stage.base);
    for (const c of stage.copies) if (c.from) visit(c.from);
  };
  if (!byName.has(target)) throw new Error(`Dockerfile has no stage "${target}"`);
  visit(target);
  return file.stages.filter((s) => needed.has(s.name));
}

/** Context paths (relative, no trailing slash) that a target copies, with build arguments filled in. */
export function contextSources(file: Dockerfile, target: string, buildArgs: Readonly<Record<string, string>>): string[] {
  const sources = new Set<string>();
  for (const stage of stagesFor(file, target)) {
    for (const c of stage.copies) {
      if (c.from) continue;
      for (const s of c.sources) sources.add(path.posix.normalize(substitute(s, buildArgs)).replace(/\/$/, ''));
    }
  }
  return [...sources].sort();
}

// .dockerignore: the patterns Docker documents (Go filepath.Match plus `**`, `!` exceptions, last
// match wins). A pattern that matches a directory leaves out everything under it.
export interface IgnoreRule {
  negate: boolean;
  regex: RegExp;
}

function globToRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches everything.
        if (pattern[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(?:/.*)?$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const p = path.posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+/, '').replace(/\/$/, '');
      return { negate, regex: globToRegex(p) };
    });
}

export function isIgnored(relPath: string, rules: readonly IgnoreRule[]): boolean {
  let ignored = false;
  for (const r of rules) if (r.regex.test(relPath)) ignored = !r.negate;
  return ignored;
}

export function readDockerignore(root: string): IgnoreRule[] {
  const file = path.join(root, '.dockerignore');
  return existsSync(file) ? parseDockerignore(readFileSync(file, 'utf8')) : [];
}

// A small Starlark interpreter for the subset the Tiltfile uses, so tests can run the Tiltfile with
// Tilt's builtins stubbed. No npm package interprets Starlark; this one follows the spec for what it
// supports (def, if/elif/else, for, return/break/continue, comprehensions, conditional expressions,
// lists, tuples, dicts, slices, % formatting, the common string/list/dict methods) and rejects the
// rest with a line number. Like Starlark, it refuses to rebind a global and has no while/class.

export type Value = null | boolean | number | string | Value[] | Tuple | Dict | Callable | Module | HostValue;
export type Dict = Map<Value, Value>;

export class Tuple {
  constructor(readonly items: Value[]) {}
}
/** An opaque value a stubbed builtin returns (a Blob, a live_update step, a port_forward). */
export class HostValue {
  constructor(
    readonly type: string,
    readonly data: Record<string, unknown>,
  ) {}
}
export class Module {
  constructor(
    readonly name: string,
    readonly members: Map<string, Value>,
  ) {}
}
export type Callable = Builtin | StarlarkFunction;
export class Builtin {
  constructor(
    readonly name: string,
    readonly call: (args: Value[], kwargs: Map<string, Value>) => Value,
  ) {}
}

export class StarlarkError extends Error {
  override name = 'StarlarkError';
}

// ---------------------------------------------------------------------------- tokens

type Tok = { t: 'name' | 'int' | 'str' | 'op' | 'nl' | 'indent' | 'dedent' | 'eof'; v: string; line: number };

const KEYWORDS = new Set(['and', 'break', 'continue', 'def', 'elif', 'else', 'for', 'if', 'in', 'lambda', 'load', 'not', 'or', 'pass', 'return']);
const RESERVED = new Set(['as', 'assert', 'async', 'await', 'class', 'del', 'except', 'finally', 'from', 'global', 'import', 'is', 'nonlocal', 'raise', 'try', 'while', 'with', 'yield']);
const OPS = ['//=', '**', '//', '==', '!=', '<=', '>=', '+=', '-=', '*=', '%=', '|=', '(', ')', '[', ']', '{', '}', ',', ':', '.', '=', '+', '-', '*', '/', '%', '<', '>', '|', ';'];

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  const indents = [0];
  let i = 0;
  let line = 1;
  let depth = 0;
  let atLineStart = true;
  const err = (msg: string): never => {
    throw new StarlarkError(`line ${line}: ${msg}`);
  };
  while (i < src.length) {
    if (atLineStart && depth === 0) {
      let col = 0;
      while (src[i] === ' ' || src[i] === '\t') {
        if (src[i] === '\t') err('tabs are not allowed for indentation');
        col++;
        i++;
      }
      if (src[i] === '\n' || src[i] === '#' || src[i] === '\r' || i >= src.length) {
        while (i < src.length && src[i] !== '\n') i++;
        if (src[i] === '\n') {
          i++;
          line++;
        }
        continue;
      }
      atLineStart = false;
      if (col > indents.at(-1)!) {
        indents.push(col);
        toks.push({ t: 'indent', v: '', line });
      }
      while (col < indents.at(-1)!) {
        indents.pop();
        toks.push({ t: 'dedent', v: '', line });
      }
      if (col !== indents.at(-1)) err('unindent does not match any outer level');
    }
    const c = src[i]!;
    if (c === '\n') {
      if (depth === 0) {
        toks.push({ t: 'nl', v: '', line });
        atLineStart = true;
      }
      i++;
      line++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      if (RESERVED.has(m)) err(`"${m}" is reserved in Starlark`);
      toks.push({ t: 'name', v: m, line });
      i += m.length;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(src.slice(i))![0];
      if (src[i + m.length] === '.') err('floats are not supported here');
      toks.push({ t: 'int', v: m, line });
      i += m.length;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      const startLine = line;
      i += quote.length;
      let out = '';
      for (;;) {
        if (i >= src.length) err('unterminated string');
        if (src.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        const ch = src[i]!;
        if (ch === '\n') {
          if (!triple) err('newline in string');
          line++;
        }
        if (ch === '\\') {
          const n = src[i + 1]!;
          const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '\n': '' };
          if (!(n in esc)) err(`unsupported escape \\${n}`);
          if (n === '\n') line++;
          out += esc[n];
          i += 2;
          continue;
        }
        out += ch;
        i++;
      }
      toks.push({ t: 'str', v: out, line: startLine });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) err(`unexpected character ${JSON.stringify(c)}`);
    if ('([{'.includes(op!)) depth++;
    if (')]}'.includes(op!)) depth--;
    toks.push({ t: 'op', v: op!, line });
    i += op!.length;
  }
  if (!atLineStart) toks.push({ t: 'nl', v: '', line });
  while (indents.length > 1) {
    indents.pop();
    toks.push({ t: 'dedent', v: '', line });
  }
  toks.push({ t: 'eof', v: '', line });
  return toks;
}

// ---------------------------------------------------------------------------- syntax tree

type Expr =
  | { k: 'name'; name: string; line: number }
  | { k: 'lit'; value: Value; line: number }
  | { k: 'list'; items: Expr[]; line: number }
  | { k: 'tuple'; items: Expr[]; line: number }
  | { k: 'dict'; entries: [Expr, Expr][]; line: number }
  | { k: 'comp'; kind: 'list' | 'dict'; body: Expr | [Expr, Expr]; clauses: Clause[]; line: number }
  | { k: 'bin'; op: string; l: Expr; r: Expr; line: number }
  | { k: 'not'; e: Expr; line: number }
  | { k: 'neg'; e: Expr; line: number }
  | { k: 'cond'; test: Expr; then: Expr; else: Expr; line: number }
  | { k: 'call'; fn: Expr; args: Expr[]; kwargs: [string, Expr][]; line: number }
  | { k: 'attr'; e: Expr; name: string; line: number }
  | { k: 'index'; e: Expr; index: Expr; line: number }
  | { k: 'slice'; e: Expr; lo?: Expr; hi?: Expr; line: number }
  | { k: 'lambda'; params: Param[]; body: Expr; line: number };
type Clause = { k: 'for'; target: Expr; iter: Expr } | { k: 'if'; test: Expr };
type Param = { name: string; default?: Expr };
type Stmt =
  | { k: 'expr'; e: Expr; line: number }
  | { k: 'assign'; target: Expr; op: string; value: Expr; line: number }
  | { k: 'def'; name: string; params: Param[]; body: Stmt[]; line: number }
  | { k: 'if'; branches: [Expr, Stmt[]][]; else?: Stmt[]; line: number }
  | { k: 'for'; target: Expr; iter: Expr; body: Stmt[]; line: number }
  | { k: 'return'; e?: Expr; line: number }
  | { k: 'pass' | 'break' | 'continue'; line: number };

class Parser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}

  private get tok(): Tok {
    return this.toks[this.p]!;
  }
  /** The current token, unnarrowed (TypeScript narrows a getter across `this.p++`). */
  private peek(): Tok {
    return this.toks[this.p]!;
  }
  private err(msg: string): never {
    throw new StarlarkError(`line ${this.tok.line}: ${msg} (at ${this.tok.t} "${this.tok.v}")`);
  }
  private is(v: string): boolean {
    return (this.tok.t === 'op' || this.tok.t === 'name') && this.tok.v === v;
  }
  private eat(v: string): boolean {
    if (this.is(v)) {
      this.p++;
      return true;
    }
    return false;
  }
  private expect(v: string): void {
    if (!this.eat(v)) this.err(`expected "${v}"`);
  }
  private ident(): string {
    if (this.tok.t !== 'name' || KEYWORDS.has(this.tok.v)) this.err('expected a name');
    return this.toks[this.p++]!.v;
  }

  file(): Stmt[] {
    const out: Stmt[] = [];
    while (this.tok.t !== 'eof') {
      if (this.tok.t === 'nl') {
        this.p++;
        continue;
      }
      out.push(...this.statement());
    }
    return out;
  }

  private suite(): Stmt[] {
    if (this.tok.t !== 'nl') {
      const s = this.simpleLine();
      return s;
    }
    this.p++;
    if (this.peek().t !== 'indent') this.err('expected an indented block');
    this.p++;
    const out: Stmt[] = [];
    while (this.peek().t !== 'dedent' && this.peek().t !== 'eof') out.push(...this.statement());
    this.p++;
    return out;
  }

  private statement(): Stmt[] {
    const line = this.tok.line;
    if (this.eat('def')) {
      const name = this.ident();
      this.expect('(');
      const params = this.params(')');
      this.expect(')');
      this.expect(':');
      return [{ k: 'def', name, params, body: this.suite(), line }];
    }
    if (this.eat('if')) {
      const branches: [Expr, Stmt[]][] = [];
      let test = this.expr();
      this.expect(':');
      branches.push([test, this.suite()]);
      let elseBody: Stmt[] | undefined;
      for (;;) {
        if (this.eat('elif')) {
          test = this.expr();
          this.expect(':');
          branches.push([test, this.suite()]);
        } else if (this.eat('else')) {
          this.expect(':');
          elseBody = this.suite();
          break;
        } else break;
      }
      return [{ k: 'if', branches, ...(elseBody ? { else: elseBody } : {}), line }];
    }
    if (this.eat('for')) {
      const target = this.targets();
      this.expect('in');
      const iter = this.exprList();
      this.expect(':');
      return [{ k: 'for', target, iter, body: this.suite(), line }];
    }
    if (this.is('load')) this.err('load() is not supported by this interpreter');
    return this.simpleLine();
  }

  private simpleLine(): Stmt[] {
    const out = [this.simple()];
    while (this.eat(';')) if (this.tok.t !== 'nl') out.push(this.simple());
    if (this.tok.t !== 'nl' && this.tok.t !== 'eof') this.err('expected end of line');
    if (this.tok.t === 'nl') this.p++;
    return out;
  }

  private simple(): Stmt {
    const line = this.tok.line;
    if (this.eat('pass')) return { k: 'pass', line };
    if (this.eat('break')) return { k: 'break', line };
    if (this.eat('continue')) return { k: 'continue', line };
    if (this.eat('return')) {
      if (this.tok.t === 'nl' || this.is(';')) return { k: 'return', line };
      return { k: 'return', e: this.exprList(), line };
    }
    const e = this.exprList();
    for (const op of ['=', '+=', '-=', '*=', '%=', '|=', '//=']) {
      if (this.eat(op)) return { k: 'assign', target: e, op, value: this.exprList(), line };
    }
    return { k: 'expr', e, line };
  }

  private params(close: string): Param[] {
    const out: Param[] = [];
    while (!this.is(close)) {
      if (this.is('*') || this.is('**')) this.err('*args and **kwargs are not supported here');
      const name = this.ident();
      out.push(this.eat('=') ? { name, default: this.test() } : { name });
      if (!this.eat(',')) break;
    }
    return out;
  }

  private targets(): Expr {
    const line = this.tok.line;
    const first = this.postfix();
    if (!this.is(',')) return first;
    const items = [first];
    while (this.eat(',') && !this.is('in')) items.push(this.postfix());
    return { k: 'tuple', items, line };
  }

  /** An expression, or a bare tuple `a, b`. */
  private exprList(): Expr {
    const line = this.tok.line;
    const first = this.test();
    if (!this.is(',')) return first;
    const items = [first];
    while (this.eat(',')) {
      if (this.tok.t === 'nl' || this.is('=') || this.is(')')) break;
      items.push(this.test());
    }
    return { k: 'tuple', items, line };
  }

  expr(): Expr {
    return this.test();
  }

  private test(): Expr {
    const line = this.tok.line;
    if (this.eat('lambda')) {
      const params = this.params(':');
      this.expect(':');
      return { k: 'lambda', params, body: this.test(), line };
    }
    const e = this.or();
    if (this.eat('if')) {
      const test = this.or();
      this.expect('else');
      return { k: 'cond', test, then: e, else: this.test(), line };
    }
    return e;
  }

  private or(): Expr {
    let l = this.and();
    while (this.is('or')) {
      const line = this.tok.line;
      this.p++;
      l = { k: 'bin', op: 'or', l, r: this.and(), line };
    }
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.is('and')) {
      const line = this.tok.line;
      this.p++;
      l = { k: 'bin', op: 'and', l, r: this.not(), line };
    }
    return l;
  }
  private not(): Expr {
    const line = this.tok.line;
    if (this.eat('not')) return { k: 'not', e: this.not(), line };
    return this.comparison();
  }
  private comparison(): Expr {
    let l = this.bitor();
    for (;;) {
      const line = this.tok.line;
      let op: string | undefined;
      if (['==', '!=', '<', '>', '<=', '>='].some((o) => this.tok.t === 'op' && this.tok.v === o)) op = this.toks[this.p++]!.v;
      else if (this.eat('in')) op = 'in';
      else if (this.is('not') && this.toks[this.p + 1]?.v === 'in') {
        this.p += 2;
        op = 'not in';
      }
      if (!op) return l;
      l = { k: 'bin', op, l, r: this.bitor(), line };
    }
  }
  private bitor(): Expr {
    let l = this.arith();
    while (this.tok.t === 'op' && this.tok.v === '|') {
      const line = this.tok.line;
      this.p++;
      l = { k: 'bin', op: '|', l, r: this.arith(), line };
    }
    return l;
  }
  private arith(): Expr {
    let l = this.term();
    while (this.tok.t === 'op' && (this.tok.v === '+' || this.tok.v === '-')) {
      const { v: op, line } = this.toks[this.p++]!;
      l = { k: 'bin', op, l, r: this.term(), line };
    }
    return l;
  }
  private term(): Expr {
    let l = this.unary();
    while (this.tok.t === 'op' && ['*', '%', '//', '/'].includes(this.tok.v)) {
      const { v: op, line } = this.toks[this.p++]!;
      l = { k: 'bin', op, l, r: this.unary(), line };
    }
    return l;
  }
  private unary(): Expr {
    const line = this.tok.line;
    if (this.tok.t === 'op' && this.tok.v === '-') {
      this.p++;
      return { k: 'neg', e: this.unary(), line };
    }
    if (this.tok.t === 'op' && this.tok.v === '+') {
      this.p++;
      return this.unary();
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      const line = this.tok.line;
      if (this.eat('.')) e = { k: 'attr', e, name: this.ident(), line };
      else if (this.tok.t === 'op' && this.tok.v === '(') {
        this.p++;
        const args: Expr[] = [];
        const kwargs: [string, Expr][] = [];
        while (!this.is(')')) {
          if (this.is('*') || this.is('**')) this.err('*args and **kwargs are not supported here');
          if (this.peek().t === 'name' && this.toks[this.p + 1]?.v === '=' && this.toks[this.p + 1]?.t === 'op') {
            const name = this.ident();
            this.p++;
            if (kwargs.some(([n]) => n === name)) this.err(`keyword argument ${name} repeated`);
            kwargs.push([name, this.test()]);
          } else {
            if (kwargs.length) this.err('positional argument after keyword argument');
            args.push(this.test());
          }
          if (!this.eat(',')) break;
        }
        this.expect(')');
        e = { k: 'call', fn: e, args, kwargs, line };
      } else if (this.tok.t === 'op' && this.tok.v === '[') {
        this.p++;
        let lo: Expr | undefined;
        if (!this.is(':')) lo = this.test();
        if (this.eat(':')) {
          const hi = this.is(']') ? undefined : this.test();
          this.expect(']');
          e = { k: 'slice', e, ...(lo ? { lo } : {}), ...(hi ? { hi } : {}), line };
        } else {
          this.expect(']');
          e = { k: 'index', e, index: lo!, line };
        }
      } else return e;
    }
  }

  private clauses(): Clause[] {
    const out: Clause[] = [];
    while (this.is('for') || this.is('if')) {
      if (this.eat('for')) {
        const target = this.targets();
        this.expect('in');
        out.push({ k: 'for', target, iter: this.or() });
      } else {
        this.p++;
        out.push({ k: 'if', test: this.or() });
      }
    }
    return out;
  }

  private primary(): Expr {
    const tok = this.tok;
    const line = tok.line;
    if (tok.t === 'int') {
      this.p++;
      return { k: 'lit', value: Number(tok.v), line };
    }
    if (tok.t === 'str') {
      let s = '';
      while (this.tok.t === 'str') s += this.toks[this.p++]!.v;
      return { k: 'lit', value: s, line };
    }
    if (tok.t === 'name' && !KEYWORDS.has(tok.v)) {
      this.p++;
      if (tok.v === 'True' || tok.v === 'False') return { k: 'lit', value: tok.v === 'True', line };
      if (tok.v === 'None') return { k: 'lit', value: null, line };
      return { k: 'name', name: tok.v, line };
    }
    if (this.eat('(')) {
      if (this.eat(')')) return { k: 'tuple', items: [], line };
      const first = this.test();
      if (this.eat(')')) return first;
      const items = [first];
      while (this.eat(',') && !this.is(')')) items.push(this.test());
      this.expect(')');
      return { k: 'tuple', items, line };
    }
    if (this.eat('[')) {
      if (this.eat(']')) return { k: 'list', items: [], line };
      const first = this.test();
      if (this.is('for')) {
        const clauses = this.clauses();
        this.expect(']');
        return { k: 'comp', kind: 'list', body: first, clauses, line };
      }
      const items = [first];
      while (this.eat(',') && !this.is(']')) items.push(this.test());
      this.expect(']');
      return { k: 'list', items, line };
    }
    if (this.eat('{')) {
      const entries: [Expr, Expr][] = [];
      if (this.eat('}')) return { k: 'dict', entries, line };
      const key = this.test();
      this.expect(':');
      const value = this.test();
      if (this.is('for')) {
        const clauses = this.clauses();
        this.expect('}');
        return { k: 'comp', kind: 'dict', body: [key, value], clauses, line };
      }
      entries.push([key, value]);
      while (this.eat(',') && !this.is('}')) {
        const k = this.test();
        this.expect(':');
        entries.push([k, this.test()]);
      }
      this.expect('}');
      return { k: 'dict', entries, line };
    }
    return this.err('expected an expression');
  }
}

export function parse(src: string): Stmt[] {
  return new Parser(tokenize(src)).file();
}

// ---------------------------------------------------------------------------- values

export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Tuple) return 'tuple';
  if (v instanceof Map) return 'dict';
  if (v instanceof Module) return 'module';
  if (v instanceof HostValue) return v.type;
  return 'function';
}

export function truthy(v: Value): boolean {
  if (v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Tuple) return v.items.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const la = Array.isArray(a) ? a : a instanceof Tuple ? a.items : undefined;
  const lb = Array.isArray(b) ? b : b instanceof Tuple ? b.items : undefined;
  if (la && lb) return Array.isArray(a) === Array.isArray(b) && la.length === lb.length && la.every((x, i) => equal(x, lb[i]!));
  if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && equal(v, b.get(k)!));
  return false;
}

export function repr(v: Value): string {
  if (typeof v === 'string') return JSON.stringify(v);
  return str(v);
}

export function str(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (v instanceof Tuple) return `(${v.items.map(repr).join(', ')}${v.items.length === 1 ? ',' : ''})`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(', ')}}`;
  if (v instanceof Module) return `<module ${v.name}>`;
  if (v instanceof HostValue) return `<${v.type}>`;
  return `<function ${v.name}>`;
}

/** Plain JS (from JSON or YAML) to Starlark values: objects become dicts. */
export function fromJS(x: unknown): Value {
  if (x === undefined || x === null) return null;
  if (typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (Array.isArray(x)) return x.map(fromJS);
  if (typeof x === 'object') return new Map(Object.entries(x).map(([k, v]) => [k, fromJS(v)]));
  throw new StarlarkError(`cannot convert ${typeof x} to a Starlark value`);
}

/** Starlark values to plain JS (dicts become objects). */
export function toJS(v: Value): unknown {
  if (Array.isArray(v)) return v.map(toJS);
  if (v instanceof Tuple) return v.items.map(toJS);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJS(x)]));
  if (v instanceof HostValue) return { $type: v.type, ...v.data };
  return v;
}

class Signal {
  constructor(
    readonly kind: 'return' | 'break' | 'continue',
    readonly value: Value = null,
  ) {}
}

export class StarlarkFunction {
  constructor(
    readonly name: string,
    readonly params: { name: string; default?: Value; hasDefault: boolean }[],
    readonly body: Stmt[] | Expr,
    readonly interp: Interpreter,
  ) {}
}

function iterate(v: Value, line: number): Value[] {
  if (Array.isArray(v)) return [...v];
  if (v instanceof Tuple) return [...v.items];
  if (v instanceof Map) return [...v.keys()];
  throw new StarlarkError(`line ${line}: ${typeName(v)} is not iterable`);
}

function format(fmt: string, arg: Value, line: number): string {
  const args = arg instanceof Tuple ? [...arg.items] : [arg];
  const out = fmt.replace(/%([sdr%])/g, (_m, c: string) => {
    if (c === '%') return '%';
    if (!args.length) throw new StarlarkError(`line ${line}: not enough arguments for format string`);
    const a = args.shift()!;
    if (c === 'd') {
      if (typeof a !== 'number') throw new StarlarkError(`line ${line}: %d needs an int, got ${typeName(a)}`);
      return String(a);
    }
    return c === 'r' ? repr(a) : str(a);
  });
  if (args.length) throw new StarlarkError(`line ${line}: too many arguments for format string`);
  return out;
}

// ---------------------------------------------------------------------------- interpreter

export class Interpreter {
  readonly globals = new Map<string, Value>();
  private readonly universe: Map<string, Value>;

  constructor(predeclared: Record<string, Value>) {
    this.universe = new Map<string, Value>(Object.entries({ ...universeBuiltins(), ...predeclared }));
  }

  run(src: string): Map<string, Value> {
    for (const s of parse(src)) {
      const sig = this.exec(s, null);
      if (sig) throw new StarlarkError(`line ${s.line}: ${sig.kind} outside a function`);
    }
    return this.globals;
  }

  call(fn: Value, args: Value[], kwargs: Map<string, Value>, line: number): Value {
    if (fn instanceof Builtin) {
      try {
        return fn.call(args, kwargs);
      } catch (err) {
        if (err instanceof StarlarkFail || (err instanceof StarlarkError && /^line \d+/.test(err.message))) throw err;
        throw new StarlarkError(`line ${line}: ${fn.name}: ${(err as Error).message}`);
      }
    }
    if (!(fn instanceof StarlarkFunction)) throw new StarlarkError(`line ${line}: ${typeName(fn)} is not callable`);
    const locals = new Map<string, Value>();
    if (args.length > fn.params.length) throw new StarlarkError(`line ${line}: ${fn.name}() takes ${fn.params.length} arguments, got ${args.length}`);
    fn.params.forEach((p, i) => {
      if (i < args.length) locals.set(p.name, args[i]!);
    });
    for (const [k, v] of kwargs) {
      if (!fn.params.some((p) => p.name === k)) throw new StarlarkError(`line ${line}: ${fn.name}() got an unexpected keyword argument ${k}`);
      if (locals.has(k)) throw new StarlarkError(`line ${line}: ${fn.name}() got multiple values for ${k}`);
      locals.set(k, v);
    }
    for (const p of fn.params) {
      if (!locals.has(p.name)) {
        if (!p.hasDefault) throw new StarlarkError(`line ${line}: ${fn.name}() missing argument ${p.name}`);
        locals.set(p.name, p.default!);
      }
    }
    if (!Array.isArray(fn.body)) return this.eval(fn.body as Expr, locals);
    for (const s of fn.body as Stmt[]) {
      const sig = this.exec(s, locals);
      if (sig?.kind === 'return') return sig.value;
      if (sig) throw new StarlarkError(`line ${s.line}: ${sig.kind} outside a loop`);
    }
    return null;
  }

  private lookup(name: string, locals: Map<string, Value> | null, line: number): Value {
    if (locals?.has(name)) return locals.get(name)!;
    if (this.globals.has(name)) return this.globals.get(name)!;
    if (this.universe.has(name)) return this.universe.get(name)!;
    throw new StarlarkError(`line ${line}: undefined: ${name}`);
  }

  private bind(target: Expr, value: Value, locals: Map<string, Value> | null, line: number): void {
    if (target.k === 'name') {
      if (locals) locals.set(target.name, value);
      else {
        if (this.globals.has(target.name)) throw new StarlarkError(`line ${line}: cannot reassign global ${target.name}`);
        this.globals.set(target.name, value);
      }
      return;
    }
    if (target.k === 'tuple' || target.k === 'list') {
      const items = iterate(value, line);
      if (items.length !== target.items.length) throw new StarlarkError(`line ${line}: cannot unpack ${items.length} values into ${target.items.length}`);
      target.items.forEach((t, i) => this.bind(t, items[i]!, locals, line));
      return;
    }
    if (target.k === 'index') {
      const container = this.eval(target.e, locals);
      const key = this.eval(target.index, locals);
      if (container instanceof Map) container.set(key, value);
      else if (Array.isArray(container) && typeof key === 'number') {
        if (key < -container.length || key >= container.length) throw new StarlarkError(`line ${line}: index out of range`);
        container[key < 0 ? container.length + key : key] = value;
      } else throw new StarlarkError(`line ${line}: cannot assign to an element of ${typeName(container)}`);
      return;
    }
    throw new StarlarkError(`line ${line}: cannot assign to this expression`);
  }

  private exec(s: Stmt, locals: Map<string, Value> | null): Signal | undefined {
    switch (s.k) {
      case 'expr':
        this.eval(s.e, locals);
        return;
      case 'pass':
        return;
      case 'break':
      case 'continue':
        return new Signal(s.k);
      case 'return':
        if (!locals) throw new StarlarkError(`line ${s.line}: return outside a function`);
        return new Signal('return', s.e ? this.eval(s.e, locals) : null);
      case 'assign': {
        if (s.op === '=') {
          this.bind(s.target, this.eval(s.value, locals), locals, s.line);
          return;
        }
        const current = this.eval(s.target, locals);
        const rhs = this.eval(s.value, locals);
        if (s.op === '+=' && Array.isArray(current)) {
          current.push(...iterate(rhs, s.line));
          return;
        }
        this.bind(s.target, this.binary(s.op.slice(0, -1), current, rhs, s.line), locals, s.line);
        return;
      }
      case 'def': {
        const params = s.params.map((p) => ({ name: p.name, hasDefault: p.default !== undefined, ...(p.default ? { default: this.eval(p.default, locals) } : {}) }));
        this.bind({ k: 'name', name: s.name, line: s.line }, new StarlarkFunction(s.name, params, s.body, this), locals, s.line);
        return;
      }
      case 'if': {
        for (const [test, body] of s.branches) if (truthy(this.eval(test, locals))) return this.block(body, locals);
        return s.else ? this.block(s.else, locals) : undefined;
      }
      case 'for': {
        if (!locals) throw new StarlarkError(`line ${s.line}: for loops must be inside a function (Starlark's default)`);
        for (const item of iterate(this.eval(s.iter, locals), s.line)) {
          this.bind(s.target, item, locals, s.line);
          const sig = this.block(s.body, locals);
          if (sig?.kind === 'break') break;
          if (sig?.kind === 'return') return sig;
        }
        return;
      }
    }
  }

  private block(body: Stmt[], locals: Map<string, Value> | null): Signal | undefined {
    for (const s of body) {
      const sig = this.exec(s, locals);
      if (sig) return sig;
    }
    return undefined;
  }

  private comprehension(clauses: Clause[], locals: Map<string, Value>, emit: (scope: Map<string, Value>) => void, line: number): void {
    const step = (i: number, scope: Map<string, Value>): void => {
      if (i === clauses.length) return emit(scope);
      const c = clauses[i]!;
      if (c.k === 'if') {
        if (truthy(this.eval(c.test, scope))) step(i + 1, scope);
        return;
      }
      for (const item of iterate(this.eval(c.iter, scope), line)) {
        this.bind(c.target, item, scope, line);
        step(i + 1, scope);
      }
    };
    step(0, locals);
  }

  eval(e: Expr, locals: Map<string, Value> | null): Value {
    switch (e.k) {
      case 'lit':
        return e.value;
      case 'name':
        return this.lookup(e.name, locals, e.line);
      case 'list':
        return e.items.map((x) => this.eval(x, locals));
      case 'tuple':
        return new Tuple(e.items.map((x) => this.eval(x, locals)));
      case 'dict': {
        const m: Dict = new Map();
        for (const [k, v] of e.entries) {
          const key = this.eval(k, locals);
          if (m.has(key)) throw new StarlarkError(`line ${e.line}: duplicate key ${repr(key)}`);
          m.set(key, this.eval(v, locals));
        }
        return m;
      }
      case 'comp': {
        // A comprehension binds its loop variables in a scope of its own, over the enclosing one.
        const scope = new Map<string, Value>(locals ?? []);
        if (e.kind === 'list') {
          const out: Value[] = [];
          this.comprehension(e.clauses, scope, (s) => out.push(this.eval(e.body as Expr, s)), e.line);
          return out;
        }
        const out: Dict = new Map();
        const [k, v] = e.body as [Expr, Expr];
        this.comprehension(e.clauses, scope, (s) => out.set(this.eval(k, s), this.eval(v, s)), e.line);
        return out;
      }
      case 'not':
        return !truthy(this.eval(e.e, locals));
      case 'neg': {
        const v = this.eval(e.e, locals);
        if (typeof v !== 'number') throw new StarlarkError(`line ${e.line}: unary - needs an int`);
        return -v;
      }
      case 'cond':
        return truthy(this.eval(e.test, locals)) ? this.eval(e.then, locals) : this.eval(e.else, locals);
      case 'bin': {
        if (e.op === 'and') {
          const l = this.eval(e.l, locals);
          return truthy(l) ? this.eval(e.r, locals) : l;
        }
        if (e.op === 'or') {
          const l = this.eval(e.l, locals);
          return truthy(l) ? l : this.eval(e.r, locals);
        }
        return this.binary(e.op, this.eval(e.l, locals), this.eval(e.r, locals), e.line);
      }
      case 'call': {
        const fn = this.eval(e.fn, locals);
        const args = e.args.map((a) => this.eval(a, locals));
        const kwargs = new Map(e.kwargs.map(([k, v]) => [k, this.eval(v, locals)] as const));
        return this.call(fn, args, kwargs, e.line);
      }
      case 'attr':
        return this.attribute(this.eval(e.e, locals), e.name, e.line);
      case 'index': {
        const c = this.eval(e.e, locals);
        const key = this.eval(e.index, locals);
        if (c instanceof Map) {
          if (!c.has(key)) throw new StarlarkError(`line ${e.line}: key ${repr(key)} not in dict`);
          return c.get(key)!;
        }
        const seq = Array.isArray(c) ? c : c instanceof Tuple ? c.items : typeof c === 'string' ? [...c] : undefined;
        if (!seq || typeof key !== 'number') throw new StarlarkError(`line ${e.line}: cannot index ${typeName(c)} with ${typeName(key)}`);
        const i = key < 0 ? seq.length + key : key;
        if (i < 0 || i >= seq.length) throw new StarlarkError(`line ${e.line}: index ${key} out of range`);
        return seq[i]!;
      }
      case 'slice': {
        const c = this.eval(e.e, locals);
        const lo = e.lo ? this.eval(e.lo, locals) : null;
        const hi = e.hi ? this.eval(e.hi, locals) : null;
        if ((lo !== null && typeof lo !== 'number') || (hi !== null && typeof hi !== 'number')) throw new StarlarkError(`line ${e.line}: slice bounds must be ints`);
        const a = lo ?? undefined;
        const b = hi ?? undefined;
        if (typeof c === 'string') return c.slice(a, b);
        if (Array.isArray(c)) return c.slice(a, b);
        if (c instanceof Tuple) return new Tuple(c.items.slice(a, b));
        throw new StarlarkError(`line ${e.line}: cannot slice ${typeName(c)}`);
      }
      case 'lambda': {
        const params = e.params.map((p) => ({ name: p.name, hasDefault: p.default !== undefined, ...(p.default ? { default: this.eval(p.default, locals) } : {}) }));
        return new StarlarkFunction('lambda', params, e.body, this);
      }
    }
  }

  private binary(op: string, l: Value, r: Value, line: number): Value {
    const bad = (): never => {
      throw new StarlarkError(`line ${line}: unsupported operands for ${op}: ${typeName(l)} and ${typeName(r)}`);
    };
    switch (op) {
      case '==':
        return equal(l, r);
      case '!=':
        return !equal(l, r);
      case 'in':
      case 'not in': {
        let found: boolean;
        if (typeof r === 'string') {
          if (typeof l !== 'string') bad();
          found = r.includes(l as string);
        } else if (r instanceof Map) found = r.has(l);
        else found = iterate(r, line).some((x) => equal(x, l));
        return op === 'in' ? found : !found;
      }
      case '<':
      case '>':
      case '<=':
      case '>=': {
        if (!((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string'))) bad();
        const c = (l as number | string) < (r as number | string) ? -1 : (l as number | string) > (r as number | string) ? 1 : 0;
        return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
      }
      case '+':
        if (typeof l === 'number' && typeof r === 'number') return l + r;
        if (typeof l === 'string' && typeof r === 'string') return l + r;
        if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
        if (l instanceof Tuple && r instanceof Tuple) return new Tuple([...l.items, ...r.items]);
        return bad();
      case '-':
        return typeof l === 'number' && typeof r === 'number' ? l - r : bad();
      case '*':
        if (typeof l === 'number' && typeof r === 'number') return l * r;
        if (typeof l === 'string' && typeof r === 'number') return l.repeat(Math.max(0, r));
        if (Array.isArray(l) && typeof r === 'number') return Array.from({ length: Math.max(0, r) }, () => l).flat();
        return bad();
      case '//':
        if (typeof l !== 'number' || typeof r !== 'number') bad();
        if (r === 0) throw new StarlarkError(`line ${line}: division by zero`);
        return Math.floor((l as number) / (r as number));
      case '/':
        throw new StarlarkError(`line ${line}: / gives a float; use //`);
      case '%':
        if (typeof l === 'string') return format(l, r, line);
        if (typeof l === 'number' && typeof r === 'number') return ((l % r) + r) % r;
        return bad();
      case '|':
        if (l instanceof Map && r instanceof Map) return new Map([...l, ...r]);
        return bad();
    }
    return bad();
  }

  private attribute(v: Value, name: string, line: number): Value {
    if (v instanceof Module) {
      if (!v.members.has(name)) throw new StarlarkError(`line ${line}: module ${v.name} has no ${name}`);
      return v.members.get(name)!;
    }
    const method = methodOf(v, name);
    if (!method) throw new StarlarkError(`line ${line}: ${typeName(v)} has no attribute ${name}`);
    return new Builtin(`${typeName(v)}.${name}`, method);
  }
}

type Method = (args: Value[], kwargs: Map<string, Value>) => Value;

function needString(v: Value | undefined, what: string): string {
  if (typeof v !== 'string') throw new StarlarkError(`${what} must be a string, got ${typeName(v ?? null)}`);
  return v;
}

function methodOf(v: Value, name: string): Method | undefined {
  if (typeof v === 'string') {
    const methods: Record<string, Method> = {
      startswith: ([p]) => (p instanceof Tuple ? p.items.some((x) => v.startsWith(needString(x, 'prefix'))) : v.startsWith(needString(p, 'prefix'))),
      endswith: ([p]) => (p instanceof Tuple ? p.items.some((x) => v.endsWith(needString(x, 'suffix'))) : v.endsWith(needString(p, 'suffix'))),
      split: ([sep]) => (sep === undefined || sep === null ? v.split(/\s+/).filter(Boolean) : v.split(needString(sep, 'separator'))),
      lower: () => v.toLowerCase(),
      upper: () => v.toUpperCase(),
      strip: () => v.trim(),
      replace: ([a, b]) => v.split(needString(a, 'old')).join(needString(b, 'new')),
      join: ([items]) => iterate(items ?? null, 0).map((x) => needString(x, 'joined item')).join(v),
    };
    return methods[name];
  }
  if (Array.isArray(v)) {
    const methods: Record<string, Method> = {
      append: ([x]) => {
        v.push(x ?? null);
        return null;
      },
      extend: ([xs]) => {
        v.push(...iterate(xs ?? null, 0));
        return null;
      },
      index: ([x]) => {
        const i = v.findIndex((y) => equal(y, x ?? null));
        if (i < 0) throw new StarlarkError('value not in list');
        return i;
      },
    };
    return methods[name];
  }
  if (v instanceof Map) {
    const methods: Record<string, Method> = {
      get: ([k, d]) => (v.has(k ?? null) ? v.get(k ?? null)! : (d ?? null)),
      setdefault: ([k, d]) => {
        if (!v.has(k ?? null)) v.set(k ?? null, d ?? null);
        return v.get(k ?? null)!;
      },
      keys: () => [...v.keys()],
      values: () => [...v.values()],
      items: () => [...v].map(([k, x]) => new Tuple([k, x])),
      update: ([other]) => {
        if (!(other instanceof Map)) throw new StarlarkError('update needs a dict');
        for (const [k, x] of other) v.set(k, x);
        return null;
      },
      pop: ([k, d]) => {
        if (!v.has(k ?? null)) {
          if (d === undefined) throw new StarlarkError(`key ${repr(k ?? null)} not in dict`);
          return d;
        }
        const x = v.get(k ?? null)!;
        v.delete(k ?? null);
        return x;
      },
    };
    return methods[name];
  }
  return undefined;
}

function universeBuiltins(): Record<string, Value> {
  return {
    len: new Builtin('len', ([x]) => {
      if (typeof x === 'string') return x.length;
      if (Array.isArray(x)) return x.length;
      if (x instanceof Tuple) return x.items.length;
      if (x instanceof Map) return x.size;
      throw new StarlarkError(`len of ${typeName(x ?? null)}`);
    }),
    str: new Builtin('str', ([x]) => str(x ?? null)),
    repr: new Builtin('repr', ([x]) => repr(x ?? null)),
    bool: new Builtin('bool', ([x]) => truthy(x ?? null)),
    int: new Builtin('int', ([x]) => {
      if (typeof x === 'number') return x;
      if (typeof x === 'string' && /^-?\d+$/.test(x)) return Number(x);
      throw new StarlarkError(`int(${repr(x ?? null)})`);
    }),
    type: new Builtin('type', ([x]) => typeName(x ?? null)),
    list: new Builtin('list', ([x]) => (x === undefined ? [] : iterate(x, 0))),
    dict: new Builtin('dict', (_args, kwargs) => new Map<Value, Value>(kwargs)),
    sorted: new Builtin('sorted', ([x]) =>
      iterate(x ?? null, 0).sort((a, b) => {
        if (typeof a === typeof b && (typeof a === 'string' || typeof a === 'number')) return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
        throw new StarlarkError('sorted needs ints or strings');
      }),
    ),
    range: new Builtin('range', ([a, b]) => {
      const [lo, hi] = b === undefined ? [0, a] : [a, b];
      if (typeof lo !== 'number' || typeof hi !== 'number') throw new StarlarkError('range needs ints');
      return Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
    }),
    enumerate: new Builtin('enumerate', ([x]) => iterate(x ?? null, 0).map((v, i) => new Tuple([i, v]))),
    any: new Builtin('any', ([x]) => iterate(x ?? null, 0).some(truthy)),
    all: new Builtin('all', ([x]) => iterate(x ?? null, 0).every(truthy)),
    fail: new Builtin('fail', (args) => {
      throw new StarlarkFail(args.map(str).join(' '));
    }),
  };
}

/** `fail(...)` was called: the Tiltfile stopped itself with a message. */
export class StarlarkFail extends StarlarkError {
  override name = 'StarlarkFail';
}

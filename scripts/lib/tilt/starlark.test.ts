import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builtin, Interpreter, StarlarkError, StarlarkFail, toJS, type Value } from './starlark.ts';

function run(src: string, predeclared: Record<string, Value> = {}): Record<string, unknown> {
  return Object.fromEntries([...new Interpreter(predeclared).run(src)].filter(([, v]) => !(v instanceof Object && 'interp' in v)).map(([k, v]) => [k, toJS(v)]));
}

test('functions, loops, comprehensions, slices, % formatting and dict methods', () => {
  const g = run(`
"""A docstring."""
def build(names, prefix = "shop/"):
    out = []
    for i, n in enumerate(names):
        if n.startswith("_"):
            continue
        elif n == "stop":
            break
        out.append("%s%s:%d" % (prefix, n, i))
    return out

REFS = build(["a", "_hidden", "b", "stop", "c"])
SQUARES = {n: n * n for n in range(4) if n % 2 == 1}
NAME = "shopmesh/products:tag"[len("shopmesh/"):].split(":")[0]
D = {"x": {"y": 1}}
DEEP = D.setdefault("z", {}).setdefault("w", [])
PICK = "yes" if "x" in D and not "q" in D else "no"
JOINED = ", ".join(sorted(["b", "a"]))
`);
  assert.deepEqual(g.REFS, ['shop/a:0', 'shop/b:2']);
  assert.deepEqual(g.SQUARES, { 1: 1, 3: 9 });
  assert.equal(g.NAME, 'products');
  assert.deepEqual(g.D, { x: { y: 1 }, z: { w: [] } });
  assert.equal(g.PICK, 'yes');
  assert.equal(g.JOINED, 'a, b');
});

test('Starlark rules: no global rebinding, no top-level for, no while, reserved words', () => {
  assert.throws(() => run('X = 1\nX = 2\n'), /line 2: cannot reassign global X/);
  assert.throws(() => run('for x in [1]:\n    pass\n'), /for loops must be inside a function/);
  assert.throws(() => run('while True:\n    pass\n'), /"while" is reserved/);
  assert.throws(() => run('def f():\n    return undefined_name\nf()\n'), /line 2: undefined: undefined_name/);
});

test('errors name the line; fail() stops with its message', () => {
  assert.throws(() => run('A = 1\nB = "x" + 1\n'), (e: Error) => e instanceof StarlarkError && /line 2: unsupported operands for \+: string and int/.test(e.message));
  assert.throws(() => run('def f():\n    fail("bad", "context")\nf()\n'), (e: Error) => e instanceof StarlarkFail && e.message === 'bad context');
  assert.throws(() => run('A = "%s %s" % ("one",)\n'), /not enough arguments/);
  assert.throws(() => run('A = {"k": 1}["missing"]\n'), /key "missing" not in dict/);
});

test('builtins receive positional and keyword arguments; unknown calls fail', () => {
  const calls: unknown[] = [];
  const record = new Builtin('record', (args, kwargs) => {
    calls.push({ args: args.map(toJS), kwargs: Object.fromEntries([...kwargs].map(([k, v]) => [k, toJS(v)])) });
    return null;
  });
  run('record("a", [1, 2], flag = True, opts = {"k": None})\n', { record });
  assert.deepEqual(calls, [{ args: ['a', [1, 2]], kwargs: { flag: true, opts: { k: null } } }]);
  assert.throws(() => run('record(x = 1, 2)\n', { record }), /positional argument after keyword/);
  assert.throws(() => run('nothing()\n'), /undefined: nothing/);
});

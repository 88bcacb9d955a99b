// The one place `npm run mutation` is configured: which modules are mutated, the fast test command
// that judges each mutant, and the mutants that cannot be killed because they change nothing.

export interface Equivalent {
  /** Stryker's mutator name, e.g. `EqualityOperator`. */
  mutator: string;
  /** Text on the mutated source line that identifies the spot (the line's own text, not a number). */
  line: string;
  /** The exact text the mutant replaces, when the line has several mutants of the same kind. */
  original?: string;
  /** Text in the replacement, likewise. */
  replacement?: string;
  /** Why no test can tell the mutant apart from the original. */
  reason: string;
}

export interface MutationModule {
  /** The name `--only` takes. */
  name: string;
  /** The file Stryker mutates. */
  file: string;
  /** The test files that run against every mutant: only those that exercise this module. */
  tests: string[];
  /**
   * Top-level paths the tests read at run time (fixtures, overlays). The folders reached by relative
   * imports from the module and its tests are found by themselves.
   */
  sandbox?: string[];
  /** Large folders linked into the sandbox instead of copied (the real tools in .bin). */
  links?: string[];
  /** Run the tests through tsx instead of Node's own type stripping (slower; only when needed). */
  tsx?: boolean;
  equivalent?: Equivalent[];
}

/**
 * Every run's sandbox gets these, so repoRoot, versions.yaml and the package imports resolve. Not
 * tsconfig.json: the tests never type-check, and Stryker's tsconfig rewriting needs the TypeScript JS
 * API, which TypeScript 7 no longer ships.
 */
export const ALWAYS_IN_SANDBOX = ['package.json', 'versions.yaml'];

export const MODULES: readonly MutationModule[] = [
  {
    name: 'stats',
    file: 'loadtests/lib/stats.ts',
    tests: ['loadtests/lib/stats.test.ts'],
    equivalent: [
      { mutator: 'ConditionalExpression', line: 'if (!(q > 0 && q < 1)) throw', original: 'q < 1', replacement: 'true', reason: 'q ≥ 1 still throws: the upper tail recurses on 1 − q ≤ 0, which the q > 0 test refuses' },
      { mutator: 'EqualityOperator', line: 'if (!(q > 0 && q < 1)) throw', original: 'q < 1', replacement: 'q <= 1', reason: 'as above: q = 1 recurses on 0 and throws' },
      { mutator: 'StringLiteral', line: 'throw new RangeError(`', reason: 'message wording; the tests assert the RangeError' },
      { mutator: 'EqualityOperator', line: 'if (q > 1 - low)', reason: 'at q = 1 − 0.02425 both branches of the approximation agree to 1e-9' },
      { mutator: 'ConditionalExpression', line: '!Number.isInteger(claims) || claims < 1', original: 'claims < 1', reason: 'zero or negative claims still throw: the quantile of 1 − budget/claims/2 is out of (0, 1)' },
      { mutator: 'ConditionalExpression', line: 'if (k < 0 || k > n || !Number.isInteger(k)) return 0', reason: 'outside 0..n the log-gamma of a pole is infinite, so the pmf is 0 anyway' },
      { mutator: 'LogicalOperator', line: 'if (k < 0 || k > n || !Number.isInteger(k)) return 0', reason: 'as with the guard removed: the pmf of a count outside 0..n is 0 anyway' },
      { mutator: 'ConditionalExpression', line: 'if (k < 0) return 0;', replacement: 'false', reason: 'a negative k sums no terms, which is 0 too' },
      { mutator: 'ConditionalExpression', line: 'if (x < 0.5) return', reason: 'Lanczos (g = 7) is accurate to 1e-15 on (0, ½) too, and binomialPmf never calls below 1' },
      { mutator: 'ConditionalExpression', line: 'if (p === 0 || p === 1) return { p, n, z', reason: 'the exact-region loops give the same single count for p = 0 or 1; the shortcut only skips them' },
      { mutator: 'LogicalOperator', line: 'if (p === 0 || p === 1) return { p, n, z', reason: 'with && the shortcut never fires, and the loops give the same count' },
      { mutator: 'EqualityOperator', line: 'for (let k = 0; k <= n; k++)', reason: 'the loop breaks before k = n for every 0 < p < 1 (the cdf passes the tail first)' },
      { mutator: 'EqualityOperator', line: 'for (let k = n; k >= 0; k--)', reason: 'as above, from the top' },
      { mutator: 'EqualityOperator', line: 'if (upper > tail) break', reason: 'a running sum of pmfs never equals the tail exactly' },
      { mutator: 'ArithmeticOperator', line: 'Math.floor((p + half) * n + 1e-9)', replacement: '- 1e-9', reason: 'the epsilon only matters when (p + half)·n is within 1e-9 of an integer' },
      { mutator: 'EqualityOperator', line: 'if (q < low)', reason: 'at q = 0.02425 both branches of the approximation agree to 1e-9' },
      { mutator: 'EqualityOperator', line: 'if (cdf > tail) break', reason: 'a running sum of pmfs never equals the tail exactly' },
      { mutator: 'ArithmeticOperator', line: 'Math.ceil((p - half) * n - 1e-9)', replacement: '+ 1e-9', reason: 'the epsilon only matters when (p − half)·n is within 1e-9 of an integer' },
    ],
  },
  {
    name: 'claims',
    file: 'loadtests/lib/claims.ts',
    tests: ['loadtests/lib/claims.test.ts', 'loadtests/lib/power.test.ts', 'loadtests/lib/verdicts.test.ts'],
    equivalent: [],
  },
  {
    name: 'power',
    file: 'loadtests/lib/power.ts',
    tests: ['loadtests/lib/power.edges.test.ts', 'loadtests/lib/power.test.ts'],
    equivalent: [],
  },
  {
    name: 'tools',
    file: 'scripts/lib/tools/index.ts',
    tests: ['scripts/lib/tools/tools.test.ts'],
    sandbox: ['test', 'tools'],
    links: ['.bin'],
    equivalent: [
      { mutator: 'StringLiteral', line: "'m').test(output)", reason: 'without multiline mode a newline still counts as the separator around the version' },
      { mutator: 'ConditionalExpression', line: 'if (existsSync(local)) {', replacement: 'true', reason: 'a missing executable reports no version, so the branch falls through the same way' },
      { mutator: 'ConditionalExpression', line: 'if (parts[0] !== dir)', replacement: 'true', reason: 'rebuilding PATH with .bin already first gives the same PATH' },
    ],
  },
  {
    name: 'guards',
    file: 'services/shared/src/guards.ts',
    tests: ['services/shared/src/guards.edges.test.ts', 'services/shared/src/guards.test.ts'],
    equivalent: [
      { mutator: 'ConditionalExpression', line: 'if (declared !== null && Number(declared) > maxBytes)', replacement: 'true', reason: 'Number(null) is 0, never over the limit' },
      { mutator: 'ConditionalExpression', line: 'chunks.length === 1 ? chunks[0]!', replacement: 'false', reason: 'Buffer.concat of one chunk is the same bytes' },
      { mutator: 'OptionalChaining', line: 'result.error.issues[0]?.message', reason: 'a failed zod parse always has at least one issue' },
      { mutator: 'StringLiteral', line: "result.error.issues[0]?.message ?? 'invalid'", original: "'invalid'", reason: 'unreachable: a failed zod parse always has at least one issue' },
    ],
  },
  {
    name: 'upstream',
    file: 'services/shared/src/upstream.ts',
    tests: ['services/shared/src/upstream.edges.test.ts', 'services/shared/src/upstream.test.ts'],
    equivalent: [
      { mutator: 'ConditionalExpression', line: 'if (code !== undefined && CONNECTION_FAILURES.has(code))', replacement: 'true', reason: 'the set never holds undefined' },
      { mutator: 'OptionalChaining', line: "const neverSent = (err?.code", reason: 'a failed call always rejects with an Error object, never null' },
      { mutator: 'ConditionalExpression', line: "const answeredBy = typeof got['x-service'] === 'string'", replacement: 'true', reason: 'an absent header is undefined either way, and node:http joins a repeated custom header into one string' },
      { mutator: 'CallExpression', line: 'timer.unref();', reason: 'only whether the process may exit while a call waits; the timer is cleared when the call ends' },
      { mutator: 'BlockStatement', line: '} finally {', reason: 'leaving a settled call in the in-flight set only makes close() wait for nothing' },
      { mutator: 'CallExpression', line: 'inFlight.delete(pending);', reason: 'leaving a settled call in the in-flight set only makes close() wait for nothing' },
      { mutator: 'LogicalOperator', line: 'maxSockets: options.connections ?? 128', reason: 'pool sizing only: no test opens 128 sockets to one upstream (undefined means no limit)' },
      { mutator: 'StringLiteral', line: "scheduling: 'lifo'", reason: 'which idle socket is picked next: both orders reuse a socket, which the tests see' },
      { mutator: 'OptionalChaining', line: '| null)?.error?.code', reason: 'a JSON null body throws inside the try either way and gives no code' },
      { mutator: 'ConditionalExpression', line: "return typeof code === 'string' && code.length <= 100", replacement: 'true', reason: 'a non-string code has no length, so the length test already refuses it' },
    ],
  },
  {
    name: 'idempotency',
    file: 'services/shared/src/idempotency.ts',
    tests: ['services/shared/src/idempotency.edges.test.ts', 'services/shared/src/idempotency.test.ts'],
    equivalent: [
      // V8's sort only asks whether the comparator is negative, and object keys are never equal.
      { mutator: 'EqualityOperator', line: '.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))', reason: 'keys are unique and only "a < b" decides the order' },
      { mutator: 'ConditionalExpression', line: '.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))', original: 'a > b', reason: 'the non-negative branch never moves an element in V8\'s sort' },
    ],
  },
  {
    name: 'real-cli',
    file: 'test/support/real-cli.ts',
    tests: ['test/support/real-cli-judge.test.ts', 'test/support/real-cli.test.ts'],
    sandbox: ['overlays', 'services'],
    links: ['.bin'],
    equivalent: [
      // Unanchored patterns: a trailing .* or . only asks for one more character, which every real message has.
      { mutator: 'Regex', line: '/unknown (flag|shorthand flag): .*/i', replacement: ': ./i', reason: 'a flag name always follows "unknown flag: "' },
      { mutator: 'Regex', line: '/invalid argument ".*" for ".*" flag: .*/i', replacement: 'flag: ./i', reason: 'the parse error always follows "flag: "' },
      { mutator: 'Regex', line: '/flag needs an argument: .*/i', replacement: 'argument: ./i', reason: 'the flag name always follows' },
      { mutator: 'Regex', line: 'arg\\(s\\).*/i', replacement: 'arg\\(s\\)./i', reason: 'cobra always goes on with ", received N"' },
      { mutator: 'Regex', line: '/if any flags in the group', replacement: 'are set ./i', reason: 'cobra always goes on with "they must all be set"' },
      { mutator: 'Regex', line: '/error: .* (only works with', replacement: 'with) ./i', reason: 'the other flag or resource always follows' },
      { mutator: 'StringLiteral', line: "HELM_CACHE_HOME: path.join(home,", reason: 'any folder under the fresh HOME keeps helm off the user\'s own cache' },
      { mutator: 'StringLiteral', line: "HELM_CONFIG_HOME: path.join(home,", reason: 'any folder under the fresh HOME keeps helm off the user\'s own config' },
      { mutator: 'StringLiteral', line: "HELM_DATA_HOME: path.join(home,", reason: 'any folder under the fresh HOME keeps helm off the user\'s own plugins' },
      { mutator: 'StringLiteral', line: "encoding: 'utf8',", reason: 'without it spawnSync gives Buffers, which the template literal decodes as UTF-8 all the same' },
    ],
  },
  {
    name: 'expectations',
    file: 'scripts/lib/scenario/expectations.ts',
    tests: ['scripts/lib/scenario/expectations.edges.test.ts'],
    equivalent: [
      { mutator: 'StringLiteral', line: "return { host: shortHost(str(d.host) ?? '')", reason: 'a placeholder for a destination without a host: no Deployment, route or DestinationRule has either name' },
      { mutator: 'ConditionalExpression', line: "...(weight !== undefined ? { weight } : {})", reason: 'an explicit weight: undefined reads as no weight wherever weights are read (?? 0, ?? 100)' },
      { mutator: 'ConditionalExpression', line: 'if (name && value !== undefined) env[name] = value', reason: 'an env entry without a name or value (valueFrom) leaves the variable unread either way: every switch read falls back with ??' },
      { mutator: 'LogicalOperator', line: 'if (name && value !== undefined) env[name] = value', reason: 'as above: a nameless entry lands under "undefined", which no switch reads' },
      { mutator: 'ConditionalExpression', line: 'if (!d.subset) return all', replacement: 'false', reason: 'without a subset no DestinationRule subset is found by name, and the fall-through also returns every Deployment' },
      { mutator: 'StringLiteral', line: "shortHost(str(spec(dr).host) ?? '') === d.host", reason: 'a placeholder for a DestinationRule without a host: no destination host matches either name' },
      { mutator: 'Regex', line: "key.replace(/^\\/+/, '')", replacement: '/\\/+/', reason: 'URI prefixes start with "/", so the first run of slashes is the leading one' },
      { mutator: 'Regex', line: ".replace(/^\\^|\\$$|\\.\\*/g, '')", reason: 'a ^ or $ inside a header regex rather than at its ends leaves no value k6 could send either way' },
      { mutator: 'StringLiteral', line: "'no route without the header match follows it'", reason: 'message wording; the test asserts the ExpectationError and the VirtualService it names' },
      { mutator: 'Regex', line: "o.metadata.name.replace(/-v\\d+$/, '')", reason: 'a name with -vN in its middle names no app in either reading (the app is the template label)' },
      { mutator: 'Regex', line: "probePath(protectedPaths[0]!.replace(/\\*$/, ''))", reason: 'Istio takes * only at either end of a path; a leading-* path has no GET probe in either reading' },
      { mutator: 'MethodExpression', line: "edges.some((e) => e.allowed) ? 'no denied'", reason: 'the error is thrown only when the edges are all allowed or all denied, where some and every agree' },
      { mutator: 'Regex', line: ".replace(/^[^/]*\\//, '')", reason: 'unanchored, the first match of [^/]*/ still starts at the beginning' },
      { mutator: 'EqualityOperator', line: 'if (depth > 30) return undefined', reason: 'the bound only stops recursion through self-referencing YAML; no manifest nests a token bucket 30 levels deep' },
    ],
  },
  {
    name: 'readiness',
    file: 'scripts/lib/scenario/readiness.ts',
    tests: ['scripts/lib/scenario/readiness.edges.test.ts', 'scripts/lib/scenario/readiness.test.ts'],
    equivalent: [
      { mutator: 'ConditionalExpression', line: 'return a !== undefined && a === b ? a : undefined', original: 'a !== undefined', replacement: 'true', reason: 'when a is undefined and a === b, the result is a, i.e. undefined, either way' },
      { mutator: 'StringLiteral', line: 'throw new RangeError(`readiness needs', reason: 'message wording; the tests assert the RangeError' },
    ],
  },
  {
    name: 'xds-claims',
    file: 'scripts/lib/xds/claims.ts',
    tests: ['scripts/lib/xds/claims.test.ts'],
    equivalent: [
      { mutator: 'ConditionalExpression', line: 'a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9', original: 'a !== undefined', reason: 'an undefined side makes Math.abs(a - b) NaN, and NaN < 1e-9 is false anyway' },
      { mutator: 'ConditionalExpression', line: 'a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9', original: 'b !== undefined', reason: 'as above: NaN compares false' },
      { mutator: 'LogicalOperator', line: 'a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9', reason: 'as above: NaN compares false' },
      { mutator: 'ConditionalExpression', line: 'a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9', original: 'a !== undefined && b !== undefined', reason: 'as above: NaN compares false' },
      { mutator: 'EqualityOperator', line: 'a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9', reason: 'a difference of exactly 1e-9 never arises from the config numbers compared' },
    ],
  },
  {
    name: 'user-tokens',
    file: 'services/shared/src/user-tokens.ts',
    tests: ['services/shared/src/user-tokens.test.ts'],
    equivalent: [
      { mutator: 'StringLiteral', line: "throw unauthorized('the token names no user')", reason: 'message wording; the tests assert the 401 invalid_token' },
      { mutator: 'StringLiteral', line: "throw unauthorized('the token is not valid')", reason: 'message wording; the tests assert the 401 invalid_token' },
      { mutator: 'StringLiteral', line: "throw unauthorized('send the token as", reason: 'message wording; the tests assert the 401 invalid_token' },
      { mutator: 'StringLiteral', line: "'auth_unavailable', 'the signing keys", original: "'the signing keys could not be fetched from users'", reason: 'message wording; the tests assert the 503 auth_unavailable and its cause' },
      { mutator: 'StringLiteral', line: "'token_required', 'sign in:", original: "'sign in: this route needs a token from the users service (POST /auth/token)'", reason: 'message wording; the tests assert the 401 token_required and its challenge' },
    ],
  },
  {
    name: 'service-token',
    file: 'services/shared/src/service-token.ts',
    tests: ['services/shared/src/service-token.test.ts'],
    equivalent: [
      { mutator: 'StringLiteral', line: "c.req.header('authorization') ?? ''", reason: 'any stand-in for a missing header fails the Bearer pattern just as the empty string does: 401 either way' },
      { mutator: 'StringLiteral', line: "'this route accepts calls from the orders service only'", original: "'this route accepts calls from the orders service only'", reason: 'message wording; the tests assert the 401/403 and their codes' },
    ],
  },
  {
    name: 'placement',
    file: 'services/orders/src/placement.ts',
    tests: ['services/orders/src/placement.test.ts'],
    equivalent: [],
  },
  {
    name: 'order-store',
    file: 'services/orders/src/store.ts',
    tests: ['services/orders/src/store.test.ts'],
    equivalent: [
      { mutator: 'ConditionalExpression', line: 'if (row) return toOrder(row);', replacement: 'false', reason: 'without the returned row, settle reads the same order by id on the same connection' },
      { mutator: 'StringLiteral', line: "key: r.idempotency_key ?? ''", original: "''", reason: 'unreachable: only createPending writes a pending order, always with its key (seeds are settled orders)' },
    ],
  },
  {
    name: 'ledger',
    file: 'services/payments/src/ledger.ts',
    tests: ['services/payments/src/ledger.test.ts'],
    equivalent: [
      { mutator: 'ConditionalExpression', line: 'if (deadline !== undefined && at.getTime() >= deadline)', replacement: 'true', reason: 'a number compared with undefined is false, so a call without a deadline is charged either way' },
    ],
  },
];

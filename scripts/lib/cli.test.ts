import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helpText, parseCommand, UsageError, type CommandSpec } from './cli.ts';

const spec = {
  name: 'demo',
  summary: 'does a demo',
  usage: 'npm run demo -- [options]',
  options: {
    provider: { type: 'string', default: 'k3d', choices: ['k3d', 'kind'], description: 'cluster provider' },
    'dry-run': { type: 'boolean', description: 'print the plan' },
    addons: { type: 'string', multiple: true, description: 'addons' },
  },
} satisfies CommandSpec<Record<string, import('./cli.ts').OptionSpec>>;

test('parses options with defaults', () => {
  const parsed = parseCommand(spec, ['--dry-run']);
  assert.ok(parsed);
  assert.equal(parsed.options.provider, 'k3d');
  assert.equal(parsed.options['dry-run'], true);
});

test('--help prints every option and returns null', () => {
  let printed = '';
  const parsed = parseCommand(spec, ['--help'], (t) => (printed += t));
  assert.equal(parsed, null);
  assert.match(printed, /^demo: does a demo/);
  assert.match(printed, /--provider <value>\s+cluster provider \(one of: k3d, kind; default: k3d\)/);
  assert.match(printed, /-h, --help/);
});

test('rejects an unknown option with a usage error', () => {
  assert.throws(() => parseCommand(spec, ['--bogus']), (err) => err instanceof UsageError && /--bogus/.test(err.message) && /--help/.test(err.message));
});

test('rejects a value outside the choices, naming the option', () => {
  assert.throws(() => parseCommand(spec, ['--provider', 'minikube']), /--provider must be one of k3d, kind; got "minikube"/);
});

test('rejects positionals unless the command allows them', () => {
  assert.throws(() => parseCommand(spec, ['extra']), UsageError);
  const parsed = parseCommand({ ...spec, allowPositionals: true }, ['extra']);
  assert.deepEqual(parsed?.positionals, ['extra']);
});

test('help text lists details after the options', () => {
  const text = helpText({ ...spec, details: 'Examples:\n  npm run demo' });
  assert.ok(text.indexOf('Options:') < text.indexOf('Examples:'));
});

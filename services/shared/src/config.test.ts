import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, intSetting, loadConfig, upstreamUrlSetting } from './config.ts';

test('defaults follow CONTRIBUTING.md and the result is frozen', () => {
  const config = loadConfig({ service: 'orders', devPort: 5003, settings: { usersUrl: upstreamUrlSetting('users') } }, {});
  assert.equal(config.port, 5003);
  assert.equal(config.adminPort, 5103);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.serviceVersion, 'v1');
  assert.equal(config.upstreamTimeoutMs, 2000);
  assert.equal(config.shutdownTimeoutMs, 10000);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.usersUrl, 'http://127.0.0.1:5001');
  assert.deepEqual({ ...config.switches }, { latencyMs: 0, latencyPercent: 100, errorPercent: 0, errorStatus: 503, alwaysFail: false });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.switches));
  assert.ok(config.podName.length > 0);
});

test('values from the environment are parsed into their types', () => {
  const config = loadConfig(
    { service: 'products', devPort: 5002, settings: { productsUrl: upstreamUrlSetting('products') } },
    { PORT: '0', ADMIN_PORT: '0', HOST: '0.0.0.0', SERVICE_VERSION: 'v2', POD_NAME: 'products-v2-x', LATENCY_MS: '250', ERROR_PERCENT: '10', ALWAYS_FAIL: 'true', PRODUCTS_URL: 'http://products:8080/' },
  );
  assert.equal(config.port, 0);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.serviceVersion, 'v2');
  assert.equal(config.podName, 'products-v2-x');
  assert.equal(config.switches.latencyMs, 250);
  assert.equal(config.switches.errorPercent, 10);
  assert.equal(config.switches.alwaysFail, true);
  assert.equal(config.productsUrl, 'http://products:8080');
});

test('bad values throw one ConfigError naming every bad variable', () => {
  assert.throws(
    () => loadConfig({ service: 'x', devPort: 1 }, { PORT: 'eighty', SERVICE_VERSION: 'v3', ERROR_STATUS: '200', ALWAYS_FAIL: 'maybe', LOG_LEVEL: 'loud' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual([...error.variables].sort(), ['ALWAYS_FAIL', 'ERROR_STATUS', 'LOG_LEVEL', 'PORT', 'SERVICE_VERSION']);
      assert.match(error.message, /PORT must be an integer/);
      return true;
    },
  );
});

test('out-of-range numbers and URLs with paths are refused', () => {
  assert.throws(() => intSetting('N', 1, { min: 0, max: 10 }).read('11'), /between 0 and 10/);
  assert.throws(() => loadConfig({ service: 'x', devPort: 1, settings: { u: upstreamUrlSetting('users') } }, { USERS_URL: 'http://users:8080/api' }), /USERS_URL/);
  assert.throws(() => loadConfig({ service: 'x', devPort: 1, settings: { u: upstreamUrlSetting('users') } }, { USERS_URL: 'ftp://users' }), /USERS_URL/);
  assert.throws(() => loadConfig({ service: 'x', devPort: 1 }, { PORT: '70000' }), /PORT/);
});

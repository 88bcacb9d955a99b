import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startWaves, upstreamsOf, urlVariable } from './topology.ts';

test('callers start after the services they call', () => {
  const waves = startWaves(['storefront', 'orders', 'users', 'products', 'payments', 'notifications']);
  assert.deepEqual(waves, [['users', 'products', 'payments', 'notifications'], ['orders'], ['storefront']]);
});

test('an upstream outside the set does not hold a caller back', () => {
  assert.deepEqual(startWaves(['orders', 'users']), [['users'], ['orders']]);
  assert.deepEqual(startWaves(['storefront', 'payments']), [['storefront', 'payments']]);
});

test('upstreams come from the URL settings in each service\'s manifests', () => {
  assert.deepEqual(upstreamsOf('orders'), ['notifications', 'payments', 'products', 'users']);
  assert.deepEqual(upstreamsOf('storefront'), ['orders', 'products', 'users']);
  assert.deepEqual(upstreamsOf('payments'), []);
});

test('a service without manifests calls nobody, and its URL variable is derived from its name', () => {
  assert.deepEqual(upstreamsOf('reviews'), []);
  assert.equal(urlVariable('products'), 'PRODUCTS_URL');
  assert.equal(urlVariable('gift-cards'), 'GIFT_CARDS_URL');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, header } from './classify.ts';
import { chargeCount, orderIdOf, probePath, tokenOf } from './endpoints.ts';

test('headers are found in k6 canonical case and fetch lower case alike', () => {
  assert.equal(header({ 'X-Service-Version': 'v2' }, 'x-service-version'), 'v2');
  assert.equal(header({ 'x-pod': 'products-v1-abc' }, 'X-Pod'), 'products-v1-abc');
  assert.equal(header({}, 'x-pod'), undefined);
});

test('responses are classified by status, headers and Envoy bodies', () => {
  const ok = classify({ status: 200, headers: { 'X-Service-Version': 'v2', 'X-Pod': 'p-1', 'X-Service': 'products' } });
  assert.deepEqual([ok.kind, ok.version, ok.pod, ok.service], ['ok', 'v2', 'p-1', 'products']);
  assert.equal(classify({ status: 503, headers: { 'X-Envoy-Overloaded': 'true' }, body: 'upstream connect error' }).kind, 'overloaded');
  assert.equal(classify({ status: 503, headers: {}, body: 'upstream connect error' }).kind, 'error');
  const abort = classify({ status: 418, headers: {}, body: 'fault filter abort' });
  assert.deepEqual([abort.kind, abort.faultAbort], ['fault-abort', true]);
  const denied = classify({ status: 403, headers: {}, body: 'RBAC: access denied' });
  assert.deepEqual([denied.kind, denied.rbacDenied], ['rbac-denied', true]);
  assert.equal(classify({ status: 403, headers: {}, body: 'forbidden' }).rbacDenied, false);
  assert.equal(classify({ status: 401, headers: {}, body: 'Jwt verification fails' }).kind, 'jwt-rejected');
  assert.equal(classify({ status: 429, headers: {}, body: 'local_rate_limited' }).kind, 'rate-limited');
  assert.equal(classify({ status: 504, headers: {}, body: 'upstream request timeout' }).kind, 'timeout');
  assert.equal(classify({ status: 301, headers: { Location: 'https://shop.localhost/' } }).kind, 'redirect');
  assert.equal(classify({ status: 0, headers: {} }).kind, 'connection-failed');
});

test('shop answers are read the way the services write them', () => {
  assert.equal(probePath('/api/products/'), '/api/products/101');
  assert.equal(probePath('/api/unknown'), '/api/unknown');
  assert.equal(orderIdOf('{"order_id":"5002"}'), '5002');
  assert.equal(orderIdOf('not json'), undefined);
  assert.equal(chargeCount('[{"id":1}]'), 1);
  assert.equal(chargeCount('{"charges":[{},{}]}'), 2);
  assert.equal(tokenOf('{"token":"a.b.c"}'), 'a.b.c');
});

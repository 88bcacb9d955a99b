import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fetchHeaderReader, nodeHeaderReader, pickForwardHeaders, PROPAGATED_HEADERS, requestIdFrom, traceIdFrom } from './propagation.ts';

test('the list holds exactly the contract headers', () => {
  assert.deepEqual([...PROPAGATED_HEADERS], [
    'x-request-id', 'traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'b3', 'baggage', 'x-user-group',
  ]);
});

test('every listed header is picked and nothing else', () => {
  const incoming: Record<string, string> = { cookie: 'secret', authorization: 'Bearer x', host: 'a' };
  for (const name of PROPAGATED_HEADERS) incoming[name] = `v-${name}`;
  const picked = pickForwardHeaders(nodeHeaderReader(incoming), 'rid');
  assert.deepEqual(Object.keys(picked).sort(), [...PROPAGATED_HEADERS].sort());
  assert.equal(picked['x-request-id'], 'rid');
  assert.equal(picked.baggage, 'v-baggage');
});

test('request id is kept when sane and generated otherwise', () => {
  assert.equal(requestIdFrom(fetchHeaderReader(new Headers({ 'x-request-id': 'abc-123' }))), 'abc-123');
  const fresh = requestIdFrom(fetchHeaderReader(new Headers()));
  assert.match(fresh, /^[0-9a-f-]{36}$/);
  assert.notEqual(requestIdFrom(fetchHeaderReader(new Headers({ 'x-request-id': 'bad id with spaces\u00e9' }))), 'bad id with spaces\u00e9');
});

test('trace id comes from traceparent, then x-b3-traceid, then b3', () => {
  const read = (h: Record<string, string>) => traceIdFrom(fetchHeaderReader(new Headers(h)));
  assert.equal(read({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-b3-traceid': '1111111111111111' }), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(read({ 'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7' }), '80f198ee56343ba864fe8b2a57d3eff7');
  assert.equal(read({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' }), '80f198ee56343ba864fe8b2a57d3eff7');
  assert.equal(read({ traceparent: 'garbage' }), undefined);
  assert.equal(read({}), undefined);
});

test('repeated node headers are joined', () => {
  assert.equal(nodeHeaderReader({ baggage: ['a=1', 'b=2'] })('baggage'), 'a=1, b=2');
});

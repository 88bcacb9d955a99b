import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import * as z from 'zod/mini';
import { createErrorHandler } from './errors.ts';
import { readJson } from './guards.ts';

const schema = z.strictObject({ name: z.string().check(z.minLength(1), z.maxLength(50)), quantity: z.number().check(z.int(), z.positive(), z.maximum(10)) });

function app() {
  const a = new Hono();
  a.post('/things', async (c) => c.json(await readJson(c, schema, { maxBytes: 1024 }), 201));
  a.onError(createErrorHandler());
  return a;
}

async function send(body: BodyInit, contentType = 'application/json') {
  const res = await app().request('/things', { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

test('a valid body passes, unicode included', async () => {
  const res = await send(JSON.stringify({ name: 'Café ☕ 日本', quantity: 2 }));
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, { name: 'Café ☕ 日本', quantity: 2 });
});

test('malformed input gets the right 4xx and the error shape', async () => {
  const cases: Array<[BodyInit, string, number, string]> = [
    ['{"name":', 'application/json', 400, 'invalid_json'],
    ['', 'application/json', 400, 'invalid_json'],
    [JSON.stringify({ name: 'a', quantity: 1 }), 'text/plain', 415, 'unsupported_media_type'],
    [JSON.stringify({ name: 'a', quantity: -1 }), 'application/json', 400, 'invalid_body'],
    [JSON.stringify({ name: 'a', quantity: '1' }), 'application/json', 400, 'invalid_body'],
    [JSON.stringify({ name: 'a', quantity: 1, extra: true }), 'application/json', 400, 'invalid_body'],
    ['{"name":"a","quantity":1,"__proto__":{"admin":true}}', 'application/json', 400, 'forbidden_key'],
    ['{"name":"a","quantity":1,"nested":{"constructor":{"prototype":{}}}}', 'application/json', 400, 'forbidden_key'],
    [JSON.stringify({ name: 'x'.repeat(5000), quantity: 1 }), 'application/json', 413, 'payload_too_large'],
    [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'application/json', 400, 'invalid_json'],
    ['[1,2,3]', 'application/json', 400, 'invalid_body'],
    ['null', 'application/json', 400, 'invalid_body'],
  ];
  for (const [body, type, status, code] of cases) {
    const res = await send(body, type);
    assert.equal(res.status, status, `${String(body).slice(0, 40)} → ${res.status}`);
    assert.equal(res.body.error?.code, code);
    assert.equal(typeof res.body.error?.message, 'string');
  }
  assert.equal(({} as Record<string, unknown>).admin, undefined);
});

test('a body over the limit without content-length is cut while streaming', async () => {
  const big = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(500)));
      controller.close();
    },
  });
  const res = await app().request('/things', { method: 'POST', body: big, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
  assert.equal(res.status, 413);
});

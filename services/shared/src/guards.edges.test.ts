// The edges of the JSON guards that security depends on: what a content type may look like, where the
// size limit cuts, bytes that are not UTF-8, nesting depth, keys that reach a prototype, and what the
// client is told. (guards.test.ts covers the main paths through a route.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import * as z from 'zod/mini';
import { createErrorHandler, HttpError } from './errors.ts';
import { describeIssues, parseJsonSafely, parseParam, readBodyText, readJson } from './guards.ts';

const schema = z.strictObject({ name: z.string() });

async function post(body: BodyInit, contentType?: string, maxBytes = 64) {
  const app = new Hono();
  app.post('/x', async (c) => c.json(await readJson(c, schema, { maxBytes }), 201));
  app.onError(createErrorHandler());
  const res = await app.request('/x', { method: 'POST', body, headers: contentType === undefined ? {} : { 'content-type': contentType } });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string }; name?: string } };
}

const isHttpError = (status: number, code: string, message?: RegExp) => (err: unknown) =>
  err instanceof HttpError && err.status === status && err.code === code && (message === undefined || message.test(err.message));

test('JSON content types: parameters, any case and +json suffixes pass; lookalikes get 415', async () => {
  const ok = '{"name":"a"}';
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', ' application/json ;charset=UTF-8', 'application/merge-patch+json', 'application/vnd.shop.order+JSON']) {
    assert.equal((await post(ok, type)).status, 201, type);
  }
  for (const type of [undefined, '', 'text/plain', 'text/json', 'application/jsonx', 'application/x-www-form-urlencoded', 'text/x+json', 'json', 'application/json+xml']) {
    const res = await post(ok, type);
    assert.deepEqual([res.status, res.body.error?.code], [415, 'unsupported_media_type'], String(type));
  }
});

test('the size limit: exactly the limit passes, one byte more is 413, whether declared or streamed', async () => {
  const exactly = `{"name":"${'x'.repeat(64 - 11)}"}`;
  assert.equal(Buffer.byteLength(exactly), 64);
  assert.equal((await post(exactly, 'application/json')).status, 201);
  const over = `{"name":"${'x'.repeat(64 - 10)}"}`;
  assert.deepEqual([(await post(over, 'application/json')).status, (await post(over, 'application/json')).body.error?.code], [413, 'payload_too_large']);
  // Multi-byte characters count as bytes, not characters.
  assert.equal((await post(`{"name":"${'é'.repeat(27)}"}`, 'application/json')).status, 413);
});

test('a declared Content-Length over the limit is refused before a byte is read', async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(8));
    },
  });
  const request = new Request('http://127.0.0.1/x', { method: 'POST', body: endless, headers: { 'content-length': '65' }, duplex: 'half' } as RequestInit);
  await assert.rejects(readBodyText(request, 64), isHttpError(413, 'payload_too_large', /larger than 64 bytes/));
  assert.ok(pulled <= 1, `read ${pulled} chunks of a body it had to refuse`);
  const declaredSmall = new Request('http://127.0.0.1/x', { method: 'POST', body: '{}', headers: { 'content-length': '2' } });
  assert.equal(await readBodyText(declaredSmall, 2), '{}', 'a declared length equal to the limit is read');
});

test('a streamed body is read across chunks, and stopped at the first chunk past the limit', async () => {
  const chunks = ['{"na', 'me":"', 'Café', '"}'].map((s) => new TextEncoder().encode(s));
  const split = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
  assert.equal(await readBodyText(new Request('http://127.0.0.1/x', { method: 'POST', body: split, duplex: 'half' } as RequestInit), 64), '{"name":"Café"}');
  // A two-byte character split across chunks is decoded whole.
  const e = new TextEncoder().encode('é');
  const halves = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(e.slice(0, 1));
      c.enqueue(e.slice(1));
      c.close();
    },
  });
  assert.equal(await readBodyText(new Request('http://127.0.0.1/x', { method: 'POST', body: halves, duplex: 'half' } as RequestInit), 8), 'é');
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(40));
    },
    cancel() {
      cancelled = true;
    },
  });
  await assert.rejects(readBodyText(new Request('http://127.0.0.1/x', { method: 'POST', body: endless, duplex: 'half' } as RequestInit), 64), isHttpError(413, 'payload_too_large'));
  assert.ok(cancelled, 'the rest of the body is cancelled, not drained');
  assert.equal(await readBodyText(new Request('http://127.0.0.1/x', { method: 'POST' }), 64), '', 'no body reads as empty');
});

test('bytes that are not UTF-8 are a 400, inside a JSON string too', async () => {
  const inString = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  const res = await post(inString, 'application/json');
  assert.deepEqual([res.status, res.body.error?.code], [400, 'invalid_json']);
  assert.match(res.body.error?.message ?? '', /UTF-8/);
  const overlong = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
  assert.equal((await post(overlong, 'application/json')).status, 400, 'an overlong encoding is refused, not replaced');
});

test('forbidden keys are refused at any depth, in arrays too; the same words as values are fine', () => {
  for (const text of ['{"__proto__":1}', '{"a":[{"b":{"constructor":1}}]}', '[{"prototype":{}}]', '{"a":{"b":{"c":{"__proto__":null}}}}']) {
    assert.throws(() => parseJsonSafely(text), isHttpError(400, 'forbidden_key'), text);
  }
  assert.throws(() => parseJsonSafely('{"a":{"prototype":1}}'), isHttpError(400, 'forbidden_key', /key "prototype" is not allowed/));
  assert.deepEqual(parseJsonSafely('{"name":"constructor","tags":["__proto__","prototype"],"constructors":1}'), { name: 'constructor', tags: ['__proto__', 'prototype'], constructors: 1 });
  assert.throws(() => parseJsonSafely('  \n\t'), isHttpError(400, 'invalid_json', /empty/));
  assert.throws(() => parseJsonSafely('{"a":1'), isHttpError(400, 'invalid_json', /not valid JSON/));
  assert.equal(parseJsonSafely('0'), 0);
});

test('objects nested 65 deep pass, 66 are refused, when the body names a forbidden key', () => {
  const nested = (levels: number, inner: string) => `${'{"a":'.repeat(levels)}${inner}${'}'.repeat(levels)}`;
  // The depth check runs with the key check; the word "prototype" as a value wakes it.
  assert.doesNotThrow(() => parseJsonSafely(nested(65, '"prototype"')));
  assert.throws(() => parseJsonSafely(nested(66, '"prototype"')), isHttpError(400, 'invalid_json', /nested too deeply/));
  assert.throws(() => parseJsonSafely(nested(65, '{"x":"prototype"}')), isHttpError(400, 'invalid_json', /nested too deeply/));
  assert.doesNotThrow(() => parseJsonSafely(nested(200, '1')), 'without those words the body is never walked');
});

test('the client is told which fields are wrong, five at most, and in English', () => {
  const wide = z.strictObject({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string(), f: z.string(), g: z.object({ h: z.number() }) });
  const r = wide.safeParse({ g: { h: 'x' } });
  assert.equal(r.success, false);
  const parts = describeIssues(r.error!).split('; ');
  assert.equal(parts.length, 5);
  assert.deepEqual(parts.map((p) => p.split(':')[0]), ['a', 'b', 'c', 'd', 'e']);
  const nested = wide.safeParse({ a: '', b: '', c: '', d: '', e: '', f: '', g: { h: 'x' } });
  assert.match(describeIssues(nested.error!), /^g\.h: Invalid input: expected number, received string$/);
  assert.match(describeIssues(z.string().safeParse(1).error!), /^body: Invalid input: expected string/);
});

test('path and query values: the parsed value, or a 400 naming the parameter', () => {
  const id = z.coerce.number().check(z.int(), z.positive());
  assert.equal(parseParam('id', '42', id), 42);
  assert.throws(() => parseParam('id', 'abc', id), isHttpError(400, 'invalid_parameter', /^id: /));
  assert.throws(() => parseParam('limit', '-1', id), isHttpError(400, 'invalid_parameter', /^limit: Too small/));
});

test('without a content type at all the answer is 415; the default limit is 16 KiB', async () => {
  const bytes = new TextEncoder().encode('{"name":"a"}');
  assert.deepEqual([(await post(bytes)).status, (await post(bytes)).body.error?.code], [415, 'unsupported_media_type']);
  const app = new Hono();
  app.post('/x', async (c) => c.json(await readJson(c, z.object({ name: z.string() })), 201));
  app.onError(createErrorHandler());
  const send = async (size: number) => (await app.request('/x', { method: 'POST', body: `{"name":"${'x'.repeat(size - 11)}"}`, headers: { 'content-type': 'application/json' } })).status;
  assert.equal(await send(16 * 1024), 201);
  assert.equal(await send(16 * 1024 + 1), 413);
});

test('null values inside a body that names a forbidden word are walked past, not crashed on', () => {
  assert.deepEqual(parseJsonSafely('{"x":null,"note":"prototype","list":[null,{"y":null}]}'), { x: null, note: 'prototype', list: [null, { y: null }] });
});

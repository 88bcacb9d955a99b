// The service token at its edges: which value a service starts with (the configured one, the public
// dev value only in development, never the dev value elsewhere), and what the guarded route answers
// for each Authorization header: 401 without a bearer token, 403 with the wrong one, compared in
// constant time.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import { Hono } from 'hono';
import { readSettings } from './config.ts';
import { createErrorHandler } from './errors.ts';
import { DEV_SERVICE_TOKEN, requireServiceToken, resolveServiceToken, serviceAuthorization, serviceTokenSetting } from './service-token.ts';

const SECRET = 'Zq3-8vR_k1!tokenForTests'; // 24 visible ASCII characters

test('SERVICE_TOKEN is the variable read; unset it is undefined', () => {
  assert.deepEqual(readSettings({ serviceToken: serviceTokenSetting() }, { SERVICE_TOKEN: SECRET }), { serviceToken: SECRET });
  assert.deepEqual(readSettings({ serviceToken: serviceTokenSetting() }, {}), { serviceToken: undefined });
});

test('a configured token is used in every environment, from 16 characters up', () => {
  for (const nodeEnv of ['production', 'development', 'test']) {
    assert.equal(resolveServiceToken(SECRET, nodeEnv), SECRET, nodeEnv);
    assert.equal(resolveServiceToken('x'.repeat(16), nodeEnv), 'x'.repeat(16), nodeEnv);
    assert.throws(() => resolveServiceToken('x'.repeat(15), nodeEnv), /SERVICE_TOKEN/, nodeEnv);
    assert.throws(() => resolveServiceToken('', nodeEnv), /SERVICE_TOKEN/, nodeEnv);
  }
});

test('unset, the public dev token only when NODE_ENV is exactly development; elsewhere start-up stops naming SERVICE_TOKEN', () => {
  assert.equal(resolveServiceToken(undefined, 'development'), DEV_SERVICE_TOKEN);
  for (const nodeEnv of ['production', 'test', '', 'Development', 'dev']) {
    assert.throws(() => resolveServiceToken(undefined, nodeEnv), /SERVICE_TOKEN/, JSON.stringify(nodeEnv));
  }
});

test('the public dev token, set explicitly, is refused outside development', () => {
  assert.equal(resolveServiceToken(DEV_SERVICE_TOKEN, 'development'), DEV_SERVICE_TOKEN);
  for (const nodeEnv of ['production', 'test']) assert.throws(() => resolveServiceToken(DEV_SERVICE_TOKEN, nodeEnv), /SERVICE_TOKEN/, nodeEnv);
});

/** payments' guarded write route, answering 201 only when the middleware let the call through. */
function guarded(expected: string) {
  const app = new Hono();
  app.post('/payments', requireServiceToken(expected), (c) => c.json({ charged: true }, 201));
  app.onError(createErrorHandler());
  return async (headers: HeadersInit = {}): Promise<{ status: number; code?: string }> => {
    const res = await app.request('/payments', { method: 'POST', headers });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
  };
}

const PASSED = { status: 201 };
const REQUIRED = { status: 401, code: 'service_token_required' };
const WRONG = { status: 403, code: 'service_token_invalid' };

test('what orders sends with the development token is what payments accepts in development', async () => {
  const orders = resolveServiceToken(undefined, 'development');
  const payments = guarded(resolveServiceToken(undefined, 'development'));
  assert.deepEqual(await payments(serviceAuthorization(orders)), PASSED);
  assert.deepEqual(await guarded(SECRET)(serviceAuthorization(SECRET)), PASSED);
});

test('the right token passes with the Bearer scheme in any case and one or more spaces', async () => {
  const call = guarded(SECRET);
  for (const authorization of [`Bearer ${SECRET}`, `bearer ${SECRET}`, `BEARER ${SECRET}`, `Bearer   ${SECRET}`, ` Bearer ${SECRET} `]) {
    assert.deepEqual(await call({ authorization }), PASSED, authorization);
  }
});

test('no bearer token is a 401', async () => {
  const call = guarded(SECRET);
  const forms: Record<string, HeadersInit> = {
    'no header': {},
    empty: { authorization: '' },
    'scheme alone': { authorization: 'Bearer' },
    'scheme and spaces': { authorization: 'Bearer   ' },
    'no space': { authorization: `Bearer${SECRET}` },
    'a tab for the space': { authorization: `Bearer\t${SECRET}` },
    'token alone': { authorization: SECRET },
    'Basic credentials': { authorization: `Basic ${Buffer.from(`orders:${SECRET}`).toString('base64')}` },
    'another scheme': { authorization: `Token ${SECRET}` },
    'Bearer after another word': { authorization: `Digest Bearer ${SECRET}` },
    'a word after the token': { authorization: `Bearer ${SECRET} please` },
    'a non-ASCII character': { authorization: `Bearer ${SECRET}é` },
    'two Authorization headers': new Headers([
      ['authorization', `Bearer ${SECRET}`],
      ['authorization', `Bearer ${SECRET}`],
    ]),
  };
  for (const [name, headers] of Object.entries(forms)) assert.deepEqual(await call(headers), REQUIRED, name);
});

test('a wrong bearer token is a 403, whatever its length', async () => {
  const call = guarded(SECRET);
  const wrong = [
    'x',
    SECRET.slice(0, -1),
    `${SECRET.slice(0, -1)}?`, // same length, last character differs
    `?${SECRET.slice(1)}`, // same length, first character differs
    `${SECRET}x`,
    SECRET.toLowerCase(),
    DEV_SERVICE_TOKEN,
    'x'.repeat(4096),
  ];
  for (const token of wrong) assert.deepEqual(await call({ authorization: `Bearer ${token}` }), WRONG, token.slice(0, 30));
});

test('a bearer token is at most 4096 characters: a longer value is no bearer token at all', async () => {
  const long = 'k'.repeat(4096);
  assert.deepEqual(await guarded(long)({ authorization: `Bearer ${long}` }), PASSED);
  assert.deepEqual(await guarded(`${long}k`)({ authorization: `Bearer ${long}k` }), REQUIRED);
});

test('the token is compared in constant time: every same-length candidate goes through timingSafeEqual', async (t) => {
  // The named import in service-token.ts is a live binding of node:crypto; syncing makes it the spy.
  const spy = t.mock.method(crypto, 'timingSafeEqual');
  syncBuiltinESMExports();
  t.after(() => {
    spy.mock.restore();
    syncBuiltinESMExports();
  });
  const call = guarded(SECRET);
  const nearMiss = `${SECRET.slice(0, -1)}?`;
  assert.deepEqual(await call({ authorization: `Bearer ${nearMiss}` }), WRONG);
  assert.deepEqual(await call({ authorization: `Bearer ${SECRET}` }), PASSED);
  const compared = spy.mock.calls.map((c) => c.arguments.map((b) => Buffer.from(b as Uint8Array).toString()).sort());
  assert.deepEqual(compared, [[nearMiss, SECRET].sort(), [SECRET, SECRET]]);
});

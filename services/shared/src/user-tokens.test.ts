// Shopper tokens at their security edges: which tokens name a shopper (issuer, audience, algorithm,
// required claims, the clock and its tolerance, the subject), which Authorization headers carry one,
// what optional and required routes answer without one, and that users failing to hand out its keys
// is a 503, never a verdict on the shopper's token. Keys are generated here; the only server is a
// loopback stand-in for users' JWKS route.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Hono } from 'hono';
import { errors, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AUDIENCE, createTestSigner, forgedTokens, ISSUER, signToken } from '../../../test/support/tokens.ts';
import { readSettings } from './config.ts';
import { createErrorHandler, HttpError } from './errors.ts';
import { createUserTokenVerifier, JWKS_PATH, readShopper, remoteUserKeys, requireShopper, shopperOf, type Shopper, type UserTokenVerifier, userTokenSettings } from './user-tokens.ts';

const signer = await createTestSigner();
/** Built once: each corpus costs a stranger's RSA key, and every mutant reruns this file. */
const forged = await forgedTokens(signer);
/** A fixed clock (seconds), far from today, so a verifier that ignored `now` would be caught. */
const NOW = 1_700_000_000;
const atNow = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: signer.localKeys, now: () => NOW * 1000 });

const claims = (extra: JWTPayload = {}): JWTPayload => ({ iss: ISSUER, aud: AUDIENCE, sub: '7', name: 'Alice', iat: NOW - 60, exp: NOW + 600, ...extra });

function sign(payload: JWTPayload, alg = 'RS256', kid = signer.kid): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', kid }).sign(signer.privateKey);
}

type Outcome = Shopper | { status: number; code: string };

async function outcome(token: string, verifier: UserTokenVerifier = atNow): Promise<Outcome> {
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, code: error.code };
    throw error;
  }
}

async function refusal(token: string, verifier: UserTokenVerifier = atNow): Promise<HttpError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpError, `refused with an HttpError, got ${String(error)}`);
  return error;
}

const INVALID = { status: 401, code: 'invalid_token' };
const UNAVAILABLE = { status: 503, code: 'auth_unavailable' };

test('the defaults expect the tokens users issues by default; JWT_ISSUER and JWT_AUDIENCE override them', () => {
  assert.deepEqual(readSettings(userTokenSettings, {}), { jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
  assert.deepEqual(readSettings(userTokenSettings, { JWT_ISSUER: 'users.shop', JWT_AUDIENCE: 'shop' }), { jwtIssuer: 'users.shop', jwtAudience: 'shop' });
});

test('a token users issued names its shopper: the id from sub, the display name from name', async () => {
  assert.deepEqual(await outcome(await sign(claims())), { id: 7, name: 'Alice' });
  // Without a `now`, the real clock judges: a token signed just now is valid.
  const realClock = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: signer.localKeys });
  assert.deepEqual(await outcome(await signToken(signer, { sub: '42', name: 'Bob' }), realClock), { id: 42, name: 'Bob' });
  // A token from a fixed past moment is long expired by the real clock, and valid at that moment.
  assert.deepEqual(await outcome(await sign(claims()), realClock), INVALID);
});

test('without a name claim, or with a name that is not a string, the shopper is called "user <id>"', async () => {
  assert.deepEqual(await outcome(await sign(claims({ name: undefined }))), { id: 7, name: 'user 7' });
  assert.deepEqual(await outcome(await sign(claims({ name: 42 }))), { id: 7, name: 'user 7' });
});

test('every forged token is a 401 invalid_token', async () => {
  const realClock = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: signer.localKeys });
  assert.ok(Object.keys(forged).length >= 10);
  for (const [name, token] of Object.entries(forged)) assert.deepEqual(await outcome(token, realClock), INVALID, name);
});

test('only RS256: the same key signing with another algorithm is refused, even where the key set would allow it', async () => {
  // A key source that hands out the public key for any header, so only the algorithm rule stands.
  const anyHeader = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: async () => signer.publicKey, now: () => NOW * 1000 });
  assert.deepEqual(await outcome(await sign(claims()), anyHeader), { id: 7, name: 'Alice' });
  for (const alg of ['RS384', 'RS512', 'PS256']) assert.deepEqual(await outcome(await sign(claims(), alg), anyHeader), INVALID, alg);
});

test('the issuer and the audience must be there and be the configured ones', async () => {
  for (const [name, extra] of Object.entries<JWTPayload>({
    'wrong issuer': { iss: 'shopmesh-users-staging' },
    'no issuer': { iss: undefined },
    'wrong audience': { aud: 'shopmesh-admin' },
    'audience list without ours': { aud: ['payments', 'admin'] },
    'no audience': { aud: undefined },
  })) {
    assert.deepEqual(await outcome(await sign(claims(extra))), INVALID, name);
  }
  const otherShop = createUserTokenVerifier({ issuer: 'users.other', audience: 'other', keys: signer.localKeys, now: () => NOW * 1000 });
  assert.deepEqual(await outcome(await sign(claims()), otherShop), INVALID);
  assert.deepEqual(await outcome(await sign(claims({ iss: 'users.other', aud: 'other' })), otherShop), { id: 7, name: 'Alice' });
});

test('sub, exp and iat are required: a token that never expires is refused', async () => {
  for (const claim of ['sub', 'exp', 'iat']) assert.deepEqual(await outcome(await sign(claims({ [claim]: undefined }))), INVALID, claim);
});

test('the clock: 5 s of skew by default, an expired token says so, a token not yet valid is refused', async () => {
  assert.deepEqual(await outcome(await sign(claims({ exp: NOW - 4 }))), { id: 7, name: 'Alice' }, 'expired 4 s ago: within the skew');
  const expired = await refusal(await sign(claims({ exp: NOW - 5 })));
  assert.deepEqual({ status: expired.status, code: expired.code }, INVALID);
  assert.match(expired.message, /expired/, 'the shopper learns to sign in again');
  assert.deepEqual(await outcome(await sign(claims({ nbf: NOW + 4 }))), { id: 7, name: 'Alice' }, 'valid in 4 s: within the skew');
  const early = await refusal(await sign(claims({ nbf: NOW + 6 })));
  assert.deepEqual({ status: early.status, code: early.code }, INVALID);
  assert.doesNotMatch(early.message, /expired/);
  assert.deepEqual(await outcome(await sign(claims({ iat: NOW + 5 }))), { id: 7, name: 'Alice' }, 'issued 5 s ahead: within the skew');
  const future = await refusal(await sign(claims({ iat: NOW + 6 })));
  assert.deepEqual([future.status, future.code, future.message], [401, 'invalid_token', 'the token was issued in the future']);
});

test('clockToleranceSeconds replaces the default skew, and 0 means none', async () => {
  const strict = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: signer.localKeys, clockToleranceSeconds: 0, now: () => NOW * 1000 });
  assert.deepEqual(await outcome(await sign(claims({ exp: NOW + 1 })), strict), { id: 7, name: 'Alice' });
  assert.deepEqual(await outcome(await sign(claims({ exp: NOW })), strict), INVALID);
  assert.deepEqual(await outcome(await sign(claims({ nbf: NOW + 1 })), strict), INVALID);
  assert.deepEqual(await outcome(await sign(claims({ iat: NOW })), strict), { id: 7, name: 'Alice' }, 'issued this second');
  assert.deepEqual(await outcome(await sign(claims({ iat: NOW + 1 })), strict), INVALID);
  const lenient = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: signer.localKeys, clockToleranceSeconds: 60, now: () => NOW * 1000 });
  assert.deepEqual(await outcome(await sign(claims({ exp: NOW - 30 })), lenient), { id: 7, name: 'Alice' });
  assert.deepEqual(await outcome(await sign(claims({ iat: NOW + 60 })), lenient), { id: 7, name: 'Alice' });
  assert.deepEqual(await outcome(await sign(claims({ iat: NOW + 61 })), lenient), INVALID);
});

test('sub must be a user id: 1 to 9 digits, above 0', async () => {
  for (const sub of ['1', '12', '999999999']) assert.deepEqual(await outcome(await sign(claims({ sub }))), { id: Number(sub), name: 'Alice' }, sub);
  for (const sub of ['0', '000', '1000000000', '', '-1', '+1', '1.5', '1e3', ' 1', '1 ', 'a1', '1a', 'alice', '0x10']) {
    assert.deepEqual(await outcome(await sign(claims({ sub }))), INVALID, JSON.stringify(sub));
  }
});

const keysThat = (fail: () => Error): JWTVerifyGetKey => async () => {
  throw fail();
};

test('keys that cannot be had are a 503 carrying the cause; a key that is not there is a bad token', async () => {
  const token = await sign(claims());
  const cases: Array<[string, Error, { status: number; code: string }]> = [
    ['network error', new TypeError('fetch failed'), UNAVAILABLE],
    ['timeout', new errors.JWKSTimeout(), UNAVAILABLE],
    ['users answered 503', new errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response'), UNAVAILABLE],
    ['not a key set', new errors.JWKSInvalid('JSON Web Key Set malformed'), UNAVAILABLE],
    ['no key with that kid', new errors.JWKSNoMatchingKey(), INVALID],
    ['two keys with that kid', new errors.JWKSMultipleMatchingKeys(), INVALID],
  ];
  for (const [name, cause, expected] of cases) {
    const error = await refusal(token, createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: keysThat(() => cause), now: () => NOW * 1000 }));
    assert.deepEqual({ status: error.status, code: error.code }, expected, name);
    if (expected.status === 503) assert.equal(error.cause, cause, name);
  }
});

/** A loopback stand-in for users: answers JWKS_PATH as `route` says, 404 elsewhere, and counts calls. */
async function fakeUsers(t: { after(fn: () => void | Promise<void>): void }, route: (res: ServerResponse) => void) {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '');
    if (req.url === '/.well-known/jwks.json') route(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (body: unknown, status = 200) => (res: ServerResponse) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

test("remote keys come from users' JWKS route, once: later tokens and unknown kids do not refetch within the cooldown", async (t) => {
  const users = await fakeUsers(t, json(signer.jwks));
  assert.equal(JWKS_PATH, '/.well-known/jwks.json');
  const verifier = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: remoteUserKeys(users.url, 2000), now: () => NOW * 1000 });
  assert.deepEqual(await outcome(await sign(claims()), verifier), { id: 7, name: 'Alice' });
  assert.deepEqual(await outcome(await sign(claims({ sub: '8' })), verifier), { id: 8, name: 'Alice' });
  assert.deepEqual(await outcome(await sign(claims(), 'RS256', 'not-a-published-kid'), verifier), INVALID);
  assert.deepEqual(users.seen, ['/.well-known/jwks.json']);
});

test('users answering an error, a non-JSON body or no key set is a 503, not a bad token', async (t) => {
  const token = await sign(claims());
  for (const [name, route] of Object.entries<(res: ServerResponse) => void>({
    'mesh 503': (res) => res.writeHead(503).end('no healthy upstream'),
    'users 500': json({ error: { code: 'internal' } }, 500),
    'not JSON': (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
    'no key set': json({ keys: 'none' }),
  })) {
    const users = await fakeUsers(t, route);
    const verifier = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: remoteUserKeys(users.url, 2000), now: () => NOW * 1000 });
    assert.deepEqual(await outcome(token, verifier), UNAVAILABLE, name);
  }
});

test('users not answering costs at most the configured timeout, then 503; users not listening is a 503 at once', async (t) => {
  const token = await sign(claims());
  const silent = await fakeUsers(t, () => {});
  const started = performance.now();
  const verifier = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: remoteUserKeys(silent.url, 150), now: () => NOW * 1000 });
  assert.deepEqual(await outcome(token, verifier), UNAVAILABLE);
  const waited = performance.now() - started;
  assert.ok(waited >= 100 && waited < 2000, `waited ${Math.round(waited)} ms for a 150 ms timeout`);

  const refused = createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: remoteUserKeys(await closedUrl(), 2000), now: () => NOW * 1000 });
  assert.deepEqual(await outcome(token, refused), UNAVAILABLE);
});

/** The URL of a loopback port nothing listens on (taken, then released). */
async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** An app as a service mounts it: readShopper on everything, one route where a token is optional, one where it is required. */
function shopApp(verifier: UserTokenVerifier = atNow) {
  const app = new Hono();
  app.use(readShopper(verifier));
  app.get('/optional', (c) => c.json({ shopper: shopperOf(c) ?? null }));
  app.get('/required', (c) => c.json({ shopper: requireShopper(c) }));
  app.onError(createErrorHandler());
  return async (path: '/optional' | '/required', headers: HeadersInit = {}) => {
    const res = await app.request(path, { headers });
    const body = (await res.json()) as { shopper?: Shopper | null; error?: { code: string } };
    return {
      status: res.status,
      ...(body.error ? { code: body.error.code } : { shopper: body.shopper }),
      ...(res.headers.has('www-authenticate') ? { challenge: res.headers.get('www-authenticate') } : {}),
    };
  };
}

test('without a token an optional route serves an anonymous shopper and a required one answers 401 with a Bearer challenge', async () => {
  const call = shopApp();
  assert.deepEqual(await call('/optional'), { status: 200, shopper: null });
  assert.deepEqual(await call('/required'), { status: 401, code: 'token_required', challenge: 'Bearer realm="shopmesh"' });
});

test('with a valid token both routes see the shopper', async () => {
  const call = shopApp();
  const auth = { authorization: `Bearer ${await sign(claims())}` };
  assert.deepEqual(await call('/optional', auth), { status: 200, shopper: { id: 7, name: 'Alice' } });
  assert.deepEqual(await call('/required', auth), { status: 200, shopper: { id: 7, name: 'Alice' } });
});

test('a bad token is a 401 even where a token is optional: it is never taken for no token', async () => {
  const call = shopApp();
  for (const path of ['/optional', '/required'] as const) {
    // RFC 6750 §3: the challenge names the error, so a client fetches a new token instead of retrying.
    const refused = { status: 401, code: 'invalid_token', challenge: 'Bearer realm="shopmesh", error="invalid_token"' };
    assert.deepEqual(await call(path, { authorization: `Bearer ${forged['alg none']!}` }), refused, path);
    assert.deepEqual(await call(path, { authorization: `Bearer ${await sign(claims({ exp: NOW - 60 }))}` }), refused, path);
    assert.deepEqual(await call(path, { authorization: 'Basic dTpw' }), refused, `${path}: not a bearer token`);
  }
});

test('users being unreachable is a 503 for a shopper with a token, and no concern of one without', async () => {
  const call = shopApp(createUserTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: keysThat(() => new TypeError('fetch failed')) }));
  assert.deepEqual(await call('/optional', { authorization: `Bearer ${await sign(claims())}` }), { status: 503, code: 'auth_unavailable' });
  // No challenge: the token may be fine, and a new one would be refused all the same.
  assert.deepEqual(await call('/optional'), { status: 200, shopper: null });
});

test('the Bearer scheme in any case, with one or more spaces, carries the token', async () => {
  const call = shopApp();
  const token = await sign(claims());
  for (const header of [`Bearer ${token}`, `bearer ${token}`, `BEARER ${token}`, `bEaReR ${token}`, `Bearer   ${token}`, `  Bearer ${token}\t`]) {
    assert.deepEqual(await call('/required', { authorization: header }), { status: 200, shopper: { id: 7, name: 'Alice' } }, JSON.stringify(header.slice(0, 12)));
  }
});

test('any other Authorization header is a 401 invalid_token, even where a token is optional', async () => {
  const call = shopApp();
  const token = await sign(claims());
  const forms: Record<string, HeadersInit> = {
    empty: { authorization: '' },
    'scheme alone': { authorization: 'Bearer' },
    'scheme and spaces': { authorization: 'Bearer   ' },
    'no space': { authorization: `Bearer${token}` },
    'a tab for the space': { authorization: `Bearer\t${token}` },
    'token alone': { authorization: token },
    'Basic credentials': { authorization: 'Basic YWxpY2U6c2VjcmV0' },
    'another scheme': { authorization: `Token ${token}` },
    'Bearer after another word': { authorization: `Digest Bearer ${token}` },
    'a word after the token': { authorization: `Bearer ${token} please` },
    'a fourth segment': { authorization: `Bearer ${token}.e30` },
    'two segments': { authorization: `Bearer ${token.split('.').slice(0, 2).join('.')}` },
    'quoted token': { authorization: `Bearer "${token}"` },
    'two Authorization headers': new Headers([
      ['authorization', `Bearer ${token}`],
      ['authorization', `Bearer ${token}`],
    ]),
  };
  for (const [name, headers] of Object.entries(forms)) {
    assert.deepEqual(await call('/optional', headers), { status: 401, code: 'invalid_token', challenge: 'Bearer realm="shopmesh", error="invalid_token"' }, name);
  }
});


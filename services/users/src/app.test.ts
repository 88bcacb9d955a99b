import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { jsonInit, testRuntime } from '../../shared/src/testing.ts';
import { createApp } from './app.ts';
import { generateSigningKeys, type PublicJwk } from './keys.ts';
import { verifyToken } from './tokens.ts';

const keys = generateSigningKeys();
const NOW = Date.UTC(2026, 2, 1, 12);
const tokens = { issuer: 'shopmesh-users', audience: 'shopmesh', ttlSeconds: 600 };
const app = () => createApp({ runtime: testRuntime({ service: 'users' }), keys, tokens, now: () => NOW });

test('GET /users/1 contains the reference body', async () => {
  const res = await app().request('/users/1');
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.name, 'Alice');
  assert.equal(body.id, 1);
  assert.equal(res.headers.get('x-service'), 'users');
});

test('GET /users lists; bad and unknown ids are 400 and 404', async () => {
  const list = (await (await app().request('/users')).json()) as { users: Array<{ name: string }> };
  assert.ok(list.users.some((u) => u.name === 'Alice'));
  const page = (await (await app().request('/users?limit=1&cursor=c1')).json()) as { users: Array<{ name: string }>; next_cursor: string | null };
  assert.deepEqual(page.users.map((u) => u.name), ['Bob']);
  assert.equal(page.next_cursor, 'c2');
  assert.equal((await app().request('/users/abc')).status, 400);
  assert.equal((await app().request('/users/-1')).status, 400);
  const missing = await app().request('/users/999');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'user_not_found');
});

test('POST /auth/token issues an RS256 token that verifies with the published JWKS', async () => {
  const a = app();
  const res = await a.request('/auth/token', jsonInit('POST', { username: 'alice' }));
  assert.equal(res.status, 200);
  const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 600);
  const [header] = body.access_token.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'RS256', typ: 'JWT', kid: keys.kid });

  const jwks = (await (await a.request('/.well-known/jwks.json')).json()) as { keys: PublicJwk[] };
  assert.equal(jwks.keys.length, 1);
  const jwk = jwks.keys[0]!;
  assert.equal(jwk.alg, 'RS256');
  assert.equal(jwk.use, 'sig');
  assert.equal(jwk.kid, keys.kid);
  assert.equal(jwk.kty, 'RSA');
  assert.equal('d' in jwk, false);
  const publicKey = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  const claims = verifyToken({ publicKey }, body.access_token, NOW / 1000);
  assert.ok(claims);
  assert.equal(claims.iss, 'shopmesh-users');
  assert.equal(claims.aud, 'shopmesh');
  assert.equal(claims.sub, '1');
  assert.equal(claims.name, 'Alice');
  assert.equal(claims.exp - claims.iat, 600);
  assert.equal(verifyToken({ publicKey }, body.access_token, NOW / 1000 + 601), undefined);
  const tampered = body.access_token.replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ ...claims, sub: '2' })).toString('base64url')}.`);
  assert.equal(verifyToken({ publicKey }, tampered, NOW / 1000), undefined);
});

test('unknown users get 401 and malformed token requests 4xx', async () => {
  const a = app();
  assert.equal((await a.request('/auth/token', jsonInit('POST', { username: 'mallory' }))).status, 401);
  const cases: Array<[unknown, number]> = [
    ['{"username":', 400],
    [{ username: 1 }, 400],
    [{ username: '' }, 400],
    [{ username: 'alice', password: 'x' }, 400],
    ['{"username":"alice","__proto__":{"admin":true}}', 400],
    [{ username: 'ä'.repeat(20_000) }, 413],
  ];
  for (const [body, status] of cases) assert.equal((await a.request('/auth/token', jsonInit('POST', body))).status, status, JSON.stringify(body).slice(0, 40));
  const form = await a.request('/auth/token', { method: 'POST', body: 'username=alice', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(form.status, 415);
});

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../shared/src/config.ts';
import { loadSigningKeys } from './keys.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'users-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writePair(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateFile = path.join(dir, `${name}.key`);
  const publicFile = path.join(dir, `${name}.pub`);
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateFile, publicFile };
}

test('keys load from PEM files with a stable thumbprint kid', () => {
  const pair = writePair('a');
  const first = loadSigningKeys({ privateKeyFile: pair.privateFile, publicKeyFile: pair.publicFile, nodeEnv: 'production' });
  const second = loadSigningKeys({ privateKeyFile: pair.privateFile, publicKeyFile: pair.publicFile, nodeEnv: 'production' });
  assert.equal(first.generated, false);
  assert.equal(first.keys.kid, second.keys.kid);
  assert.match(first.keys.kid, /^[\w-]{43}$/);
});

test('missing files outside development name the variables', () => {
  assert.throws(
    () => loadSigningKeys({ privateKeyFile: undefined, publicKeyFile: undefined, nodeEnv: 'production' }),
    (error: unknown) => error instanceof ConfigError && error.variables.includes('JWT_PRIVATE_KEY_FILE') && error.variables.includes('JWT_PUBLIC_KEY_FILE'),
  );
  assert.throws(
    () => loadSigningKeys({ privateKeyFile: path.join(dir, 'nope'), publicKeyFile: writePair('b').publicFile, nodeEnv: 'production' }),
    /JWT_PRIVATE_KEY_FILE cannot be read/,
  );
});

test('a public key that does not match the private key is refused', () => {
  const a = writePair('c');
  const b = writePair('d');
  assert.throws(() => loadSigningKeys({ privateKeyFile: a.privateFile, publicKeyFile: b.publicFile, nodeEnv: 'production' }), /does not match/);
});

test('development generates a pair when no files are given', () => {
  const loaded = loadSigningKeys({ privateKeyFile: undefined, publicKeyFile: undefined, nodeEnv: 'development' });
  assert.equal(loaded.generated, true);
  assert.equal(loaded.keys.jwk.alg, 'RS256');
});

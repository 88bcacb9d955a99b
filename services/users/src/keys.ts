// The RS256 signing key pair: from PEM files (a mounted Secret) in every real deployment, generated
// at start only when NODE_ENV=development. The key id is the RFC 7638 thumbprint of the public key,
// so it is stable for a given key and changes when the Secret is rotated.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../shared/src/config.ts';

export interface PublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  jwk: PublicJwk;
}

export function signingKeysFrom(privateKey: KeyObject, publicKey: KeyObject): SigningKeys {
  if (privateKey.asymmetricKeyType !== 'rsa' || publicKey.asymmetricKeyType !== 'rsa') throw new Error('the JWT keys must be RSA keys');
  const derived = createPublicKey(privateKey).export({ format: 'jwk' });
  const exported = publicKey.export({ format: 'jwk' });
  if (derived.n !== exported.n || derived.e !== exported.e) throw new Error('the JWT public key does not match the private key');
  const n = exported.n!;
  const e = exported.e!;
  // RFC 7638: members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(`{"e":"${e}","kty":"RSA","n":"${n}"}`).digest('base64url');
  return { privateKey, publicKey, kid, jwk: Object.freeze({ kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' }) };
}

export function signingKeysFromPem(privatePem: string, publicPem: string): SigningKeys {
  return signingKeysFrom(createPrivateKey(privatePem), createPublicKey(publicPem));
}

export function generateSigningKeys(): SigningKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signingKeysFrom(privateKey, publicKey);
}

export interface KeySettings {
  privateKeyFile: string | undefined;
  publicKeyFile: string | undefined;
  nodeEnv: string;
}

/** Reads the key files, or generates a pair in development; a missing or bad file names its variable. */
export function loadSigningKeys(settings: KeySettings): { keys: SigningKeys; generated: boolean } {
  const { privateKeyFile, publicKeyFile } = settings;
  if (privateKeyFile === undefined && publicKeyFile === undefined && settings.nodeEnv === 'development') {
    return { keys: generateSigningKeys(), generated: true };
  }
  const problems: Array<{ variable: string; problem: string }> = [];
  const read = (variable: string, file: string | undefined): string | undefined => {
    if (file === undefined) {
      problems.push({ variable, problem: 'is required (a PEM file from the mounted Secret; set NODE_ENV=development to generate a pair at start)' });
      return undefined;
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ variable, problem: `cannot be read: ${(error as Error).message}` });
      return undefined;
    }
  };
  const privatePem = read('JWT_PRIVATE_KEY_FILE', privateKeyFile);
  const publicPem = read('JWT_PUBLIC_KEY_FILE', publicKeyFile);
  if (privatePem === undefined || publicPem === undefined) throw new ConfigError(problems);
  try {
    return { keys: signingKeysFromPem(privatePem, publicPem), generated: false };
  } catch (error) {
    throw new ConfigError([{ variable: 'JWT_PRIVATE_KEY_FILE', problem: `is not a usable RS256 key pair with JWT_PUBLIC_KEY_FILE: ${(error as Error).message}` }]);
  }
}

import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../api/resource-server.ts';
import { namesOf } from './ed25519-alias.ts';
import { KEY_ALGORITHMS, type KeyAlgorithm, type SigningKey, type SigningKeys } from './signing-keys.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

async function newKeyPair(alg: KeyAlgorithm): Promise<KeyObject> {
  switch (alg) {
    case 'RS256':
      return (await generateKeyPairAsync('rsa', { modulusLength: 2048 })).privateKey;
    case 'ES256':
      return (await generateKeyPairAsync('ec', { namedCurve: 'P-256' })).privateKey;
    case 'EdDSA':
      return (await generateKeyPairAsync('ed25519')).privateKey;
  }
}

/** RFC 7638 JWK thumbprint of the public key, used as `kid` so a key names itself. */
export function thumbprint(publicJwk: JWK): string {
  const members =
    publicJwk.kty === 'RSA'
      ? { e: publicJwk.e, kty: 'RSA', n: publicJwk.n }
      : publicJwk.kty === 'EC'
        ? { crv: publicJwk.crv, kty: 'EC', x: publicJwk.x, y: publicJwk.y }
        : { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** Wraps a private key with its public JWK (`kid`, `alg`, `use: sig`). */
export function signingKeyFrom(alg: SigningAlgorithm, privateKey: KeyObject): SigningKey {
  const full = privateKey.export({ format: 'jwk' }) as JWK;
  const pub: JWK =
    full.kty === 'RSA'
      ? { kty: 'RSA', n: full.n, e: full.e }
      : { kty: full.kty, crv: full.crv, x: full.x, y: full.y };
  if (pub.y === undefined) delete pub.y;
  const kid = thumbprint(pub);
  return { kid, alg, privateKey, publicJwk: Object.freeze({ ...pub, kid, alg, use: 'sig' }) };
}

/** Creates a new key for `alg`, off the event loop. */
export async function generateSigningKey(alg: KeyAlgorithm): Promise<SigningKey> {
  return signingKeyFrom(alg, await newKeyPair(alg));
}

/** Creates one new key per key type. */
export async function generateSigningKeys(): Promise<SigningKey[]> {
  return Promise.all(KEY_ALGORITHMS.map(generateSigningKey));
}

/** The key set in force: each given key is active and published under each of its names. */
export function keySetOf(keys: readonly SigningKey[]): SigningKeys {
  const named = keys.flatMap(namesOf);
  return {
    active: new Map(named.map((k) => [k.alg, k])),
    published: named.map((k) => k.publicJwk),
  };
}

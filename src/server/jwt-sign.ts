import { sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import type { SigningKey } from '../keys/signing-keys.ts';

interface PreparedKey {
  /** `base64url(protected header) + '.'` */
  headerPrefix: string;
  digest: string | null;
  key: KeyObject | SignKeyObjectInput;
}

// Per key object, so a rotated-out key and its cache go away together.
const prepared = new WeakMap<SigningKey, PreparedKey>();

function prepare(key: SigningKey): PreparedKey {
  let p = prepared.get(key);
  if (p === undefined) {
    const header = Buffer.from(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid })).toString(
      'base64url',
    );
    switch (key.alg) {
      case 'RS256':
        p = { headerPrefix: `${header}.`, digest: 'sha256', key: key.privateKey };
        break;
      case 'ES256':
        // JWS (RFC 7518 §3.4) wants r || s, not DER.
        p = {
          headerPrefix: `${header}.`,
          digest: 'sha256',
          key: { key: key.privateKey, dsaEncoding: 'ieee-p1363' },
        };
        break;
      case 'EdDSA':
        p = { headerPrefix: `${header}.`, digest: null, key: key.privateKey };
        break;
    }
    prepared.set(key, p);
  }
  return p;
}

/**
 * Signs `payload` as a compact JWS access token (RFC 9068 §2.1: `typ: at+jwt`, `alg` and `kid` of `key`).
 * The signature is computed on the libuv thread pool, so signing does not hold the event loop.
 *
 * @example
 * const jwt = await signAccessToken(snapshot.keys.active.get('ES256')!, claims);
 */
export function signAccessToken(key: SigningKey, payload: object): Promise<string> {
  const p = prepare(key);
  const signingInput = p.headerPrefix + Buffer.from(JSON.stringify(payload)).toString('base64url');
  return new Promise((resolve, reject) => {
    sign(p.digest, Buffer.from(signingInput, 'latin1'), p.key, (err, signature) => {
      if (err) reject(err);
      else resolve(`${signingInput}.${signature.toString('base64url')}`);
    });
  });
}

import { sign, type KeyObject } from 'node:crypto';
import type { SigningKey } from '../keys/signing-keys.ts';
import { p256DerToJws } from './ecdsa-p256.ts';

interface PreparedKey {
  /** `base64url(protected header) + '.'` */
  headerPrefix: string;
  digest: string | null;
  /** A KeyObject, never an options object: see ecdsa-p256.ts. */
  key: KeyObject;
  /** ES256: node:crypto's DER signature as JWS carries it, r || s (RFC 7518 §3.4). */
  toJws: ((der: Buffer) => Buffer) | undefined;
}

/** The `typ` of what is signed: an access token (RFC 9068 §2.1) or an ID token (OpenID Connect Core §2). */
export type JwtType = 'at+jwt' | 'JWT';

// Per key object, so a rotated-out key and its cache go away together; one cache per `typ`.
const prepared: Readonly<Record<JwtType, WeakMap<SigningKey, PreparedKey>>> = {
  'at+jwt': new WeakMap(),
  JWT: new WeakMap(),
};

function prepare(key: SigningKey, typ: JwtType): PreparedKey {
  let p = prepared[typ].get(key);
  if (p === undefined) {
    const header = Buffer.from(JSON.stringify({ alg: key.alg, typ, kid: key.kid })).toString('base64url');
    switch (key.alg) {
      case 'RS256':
        p = { headerPrefix: `${header}.`, digest: 'sha256', key: key.privateKey, toJws: undefined };
        break;
      case 'ES256':
        p = { headerPrefix: `${header}.`, digest: 'sha256', key: key.privateKey, toJws: p256DerToJws };
        break;
      case 'EdDSA':
      case 'Ed25519':
        p = { headerPrefix: `${header}.`, digest: null, key: key.privateKey, toJws: undefined };
        break;
    }
    prepared[typ].set(key, p);
  }
  return p;
}

/**
 * Signs `payload` as a compact JWS access token (RFC 9068 §2.1: `typ: at+jwt`, `alg` and `kid` of `key`, which
 * for the Ed25519 key's `Ed25519` name is its alias, see src/keys/ed25519-alias.ts).
 * The signature is computed on the libuv thread pool, so signing does not hold the event loop.
 *
 * @example
 * const jwt = await signAccessToken(snapshot.keys.active.get('ES256')!, claims);
 */
export function signAccessToken(key: SigningKey, payload: object): Promise<string> {
  return signJwt(key, payload, 'at+jwt');
}

/**
 * Signs `payload` as a compact JWS with header `typ` (`JWT` for ID tokens), otherwise as
 * {@link signAccessToken} does.
 *
 * @example
 * const idToken = await signJwt(snapshot.keys.active.get('RS256')!, claims, 'JWT');
 */
export function signJwt(key: SigningKey, payload: object, typ: JwtType): Promise<string> {
  const p = prepare(key, typ);
  const signingInput = p.headerPrefix + Buffer.from(JSON.stringify(payload)).toString('base64url');
  return new Promise((resolve, reject) => {
    sign(p.digest, Buffer.from(signingInput, 'latin1'), p.key, (err, signature) => {
      if (err) reject(err);
      else {
        const jws = p.toJws === undefined ? signature : p.toJws(signature);
        resolve(`${signingInput}.${jws.toString('base64url')}`);
      }
    });
  });
}

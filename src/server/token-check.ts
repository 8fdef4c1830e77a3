import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../api/resource-server.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import type { AccessTokenClaims } from './claims.ts';
import { p256JwsToDer } from './ecdsa-p256.ts';

/**
 * Why a token is not one of our valid access tokens. Introspection answers `{"active": false}` for all of
 * them alike (RFC 7662 §2.2); the reason only reaches events and logs.
 */
export type InvalidTokenReason =
  /** Not a compact JWS with the header and claims we issue. */
  | 'malformed'
  /** A `kid` we do not publish, another algorithm than the key's, a bad signature, or another `iss`. */
  | 'foreign'
  | 'expired'
  /** `iat` or `nbf` later than now plus the allowed skew. */
  | 'not_yet_valid';

/** The claims a verified access token carries: the OAuth ones, and a person's when it is one's. */
export interface CheckedClaims extends AccessTokenClaims {
  auth_time?: number;
  permissions?: readonly string[];
  groups?: readonly string[];
}

export type TokenCheck = { ok: true; claims: CheckedClaims } | { ok: false; reason: InvalidTokenReason };

export interface TokenCheckDeps {
  /** Our issuer: the only `iss` accepted. */
  issuer: string;
  /** The snapshot's keys; only `published` ones verify. */
  keys: SigningKeys;
  nowMs: number;
  /** Tolerance for `iat`/`nbf` in the future; default {@link MAX_CLOCK_SKEW_SECONDS}. */
  skewSeconds?: number;
}

/**
 * How far ahead of our clock `iat` (or `nbf`) may be. Another replica, whose clock may run a little ahead,
 * can have issued the token. `exp` gets no tolerance: calling a token expired early is the safe error.
 */
export const MAX_CLOCK_SKEW_SECONDS = 60;

const B64URL = /^[A-Za-z0-9_-]+$/;
const ALGORITHMS: ReadonlySet<string> = new Set(SIGNING_ALGORITHMS);
const utf8 = new TextDecoder('utf-8', { fatal: true });

interface VerifyKey {
  alg: SigningAlgorithm;
  digest: string | null;
  /** A KeyObject, never an options object: see ecdsa-p256.ts. */
  key: KeyObject;
  /** ES256: the JWS signature (r || s) as node:crypto verifies it, DER. */
  toDer?: (jws: Buffer) => Buffer | undefined;
}

// Per published list, so a rotation (a new snapshot with a new list) builds the keys once and the old cache
// goes away with the old list.
const keyCache = new WeakMap<readonly Readonly<JWK>[], ReadonlyMap<string, VerifyKey>>();

/**
 * Checks that `token` is an access token this server issued and that it is valid now (RFC 9068 §4): a
 * compact JWS with `typ: at+jwt`, signed (RS256, ES256, EdDSA or Ed25519) by a published key named by `kid`
 * whose algorithm is the header's (the Ed25519 key is published once per name, each with its own kid), with our `iss`, not expired, not issued in the future. Does not consult
 * revocations. Signatures are verified on the libuv thread pool; no I/O.
 *
 * @example
 * const check = await checkAccessToken(token, { issuer, keys: snapshot.keys, nowMs: now() });
 * if (check.ok) console.log(check.claims.client_id);
 */
export async function checkAccessToken(token: string, deps: TokenCheckDeps): Promise<TokenCheck> {
  const parts = token.split('.');
  if (parts.length !== 3) return invalid('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (!B64URL.test(headerPart) || !B64URL.test(payloadPart) || !B64URL.test(signaturePart)) {
    return invalid('malformed');
  }
  const header = decodeJson(headerPart);
  if (header === undefined) return invalid('malformed');
  const { alg, typ, kid } = header;
  if (typ !== 'at+jwt' || typeof alg !== 'string' || !ALGORITHMS.has(alg) || typeof kid !== 'string') {
    return invalid('malformed');
  }
  // We never issue critical extensions (RFC 7515 §4.1.11): a token that names one is not ours.
  if (Object.hasOwn(header, 'crit')) return invalid('malformed');

  const key = verifyKeysOf(deps.keys.published).get(kid);
  if (key === undefined || key.alg !== alg) return invalid('foreign');
  const signed = await verifies(key, `${headerPart}.${payloadPart}`, Buffer.from(signaturePart, 'base64url'));
  if (!signed) return invalid('foreign');

  const payload = decodeJson(payloadPart);
  if (payload === undefined) return invalid('malformed');
  const claims = accessTokenClaimsOf(payload);
  if (claims === undefined) return invalid('malformed');
  if (claims.iss !== deps.issuer) return invalid('foreign');

  const nowS = deps.nowMs / 1000;
  const skew = deps.skewSeconds ?? MAX_CLOCK_SKEW_SECONDS;
  if (nowS >= claims.exp) return invalid('expired');
  if (claims.iat > nowS + skew) return invalid('not_yet_valid');
  const nbf = payload.nbf;
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return invalid('malformed');
  if (nbf !== undefined && nbf > nowS + skew) return invalid('not_yet_valid');
  return { ok: true, claims };
}

function invalid(reason: InvalidTokenReason): TokenCheck {
  return { ok: false, reason };
}

/** The claims we issue, as guard clauses; a copy, so nothing but these names comes along. */
function accessTokenClaimsOf(p: Record<string, unknown>): CheckedClaims | undefined {
  const { iss, sub, aud, client_id, scope, iat, exp, jti, org_id, org_name } = p;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof client_id !== 'string') return undefined;
  if (typeof aud !== 'string' || typeof jti !== 'string' || jti.length === 0) return undefined;
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return undefined;
  if ((exp as number) <= (iat as number)) return undefined;
  if (scope !== undefined && typeof scope !== 'string') return undefined;
  if (org_id !== undefined && typeof org_id !== 'string') return undefined;
  if (org_name !== undefined && typeof org_name !== 'string') return undefined;
  const person = personClaimsOf(p);
  if (person === undefined) return undefined;
  const claims: CheckedClaims = {
    iss,
    sub,
    aud,
    client_id,
    iat: iat as number,
    exp: exp as number,
    jti,
    ...person,
  };
  if (scope !== undefined) claims.scope = scope;
  if (org_id !== undefined) claims.org_id = org_id;
  if (org_name !== undefined) claims.org_name = org_name;
  return claims;
}

/** A person's `auth_time`, `permissions` and `groups` when present and well formed; undefined when malformed. */
function personClaimsOf(
  p: Record<string, unknown>,
): Pick<CheckedClaims, 'auth_time' | 'permissions' | 'groups'> | undefined {
  const { auth_time, permissions, groups } = p;
  if (auth_time !== undefined && !Number.isSafeInteger(auth_time)) return undefined;
  const strings = (v: unknown) =>
    v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  if (!strings(permissions) || !strings(groups)) return undefined;
  return {
    ...(auth_time === undefined ? {} : { auth_time: auth_time as number }),
    ...(permissions === undefined ? {} : { permissions: permissions as string[] }),
    ...(groups === undefined ? {} : { groups: groups as string[] }),
  };
}

/** A base64url JSON object, or undefined for anything else (bad UTF-8, bad JSON, arrays, null). */
function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(part, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function verifyKeysOf(published: readonly Readonly<JWK>[]): ReadonlyMap<string, VerifyKey> {
  let keys = keyCache.get(published);
  if (keys === undefined) {
    const built = new Map<string, VerifyKey>();
    for (const jwk of published) {
      const k = verifyKeyOf(jwk);
      if (k !== undefined && jwk.kid !== undefined) built.set(jwk.kid, k);
    }
    keys = built;
    keyCache.set(published, keys);
  }
  return keys;
}

/** The verification key of a published JWK, or undefined when its algorithm and key type disagree. */
function verifyKeyOf(jwk: Readonly<JWK>): VerifyKey | undefined {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { ...jwk } as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  switch (jwk.alg) {
    case 'RS256':
      return key.asymmetricKeyType === 'rsa' ? { alg: 'RS256', digest: 'sha256', key } : undefined;
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && jwk.crv === 'P-256'
        ? { alg: 'ES256', digest: 'sha256', key, toDer: p256JwsToDer }
        : undefined;
    case 'EdDSA':
    case 'Ed25519':
      return key.asymmetricKeyType === 'ed25519'
        ? { alg: jwk.alg as 'EdDSA' | 'Ed25519', digest: null, key }
        : undefined;
    default:
      return undefined;
  }
}

function verifies(key: VerifyKey, signingInput: string, jws: Buffer): Promise<boolean> {
  const signature = key.toDer === undefined ? jws : key.toDer(jws);
  if (signature === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    verify(key.digest, Buffer.from(signingInput, 'latin1'), key.key, signature, (err, ok) =>
      resolve(err === null && ok),
    );
  });
}

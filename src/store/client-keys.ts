import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { PRIVATE_JWK_MEMBERS } from '../api/client-keys.ts';

/** A public key that verifies a `private_key_jwt` client's assertions (RFC 7523 §2.2), parsed from a JWK. */
export interface ClientKey {
  /** `kid` of the JWK (RFC 7517 §4.5); assertions pick their key with it. */
  kid?: string;
  /** `alg` of the JWK (RFC 7517 §4.4): the one algorithm this key may verify, when set. */
  alg?: string;
  kty: 'RSA' | 'EC' | 'OKP';
  /** Curve of an EC or OKP key. */
  crv?: string;
  key: KeyObject;
}

export type ParsedKey = { ok: true; key: ClientKey } | { ok: false; message: string };

/** RSA keys below this size are refused, as RFC 7518 §3.3 requires for RS256/PS256 and jose enforces. */
export const MIN_RSA_BITS = 2048;

const CURVES: Readonly<Record<string, readonly string[]>> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519', 'Ed448'],
};

/**
 * Parses one JWK (RFC 7517 §4) into a public verification key, or says why it cannot be one: not an object,
 * a key type other than RSA/EC/OKP, private members (Latchkey never holds a client's private key), a `use`
 * or `key_ops` that excludes verification, a key the crypto library refuses, or an RSA key below 2048 bits.
 *
 * @example
 * const parsed = parseClientKey({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * if (parsed.ok) parsed.key.key.asymmetricKeyType; // 'ed25519'
 */
export function parseClientKey(jwk: unknown): ParsedKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    return { ok: false, message: 'not a JSON object' };
  }
  const k = jwk as Record<string, unknown>;
  const kty = k.kty;
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
    return { ok: false, message: `kty must be RSA, EC or OKP, not ${JSON.stringify(kty)?.slice(0, 40)}` };
  }
  const secretMembers = PRIVATE_JWK_MEMBERS.filter((m) => Object.hasOwn(k, m));
  if (secretMembers.length > 0) {
    return { ok: false, message: `holds private key material (${secretMembers.join(', ')})` };
  }
  if (k.use !== undefined && k.use !== 'sig') return { ok: false, message: 'use is not sig' };
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) {
    return { ok: false, message: 'key_ops does not include verify' };
  }
  if (k.kid !== undefined && typeof k.kid !== 'string') return { ok: false, message: 'kid is not a string' };
  if (k.alg !== undefined && typeof k.alg !== 'string') return { ok: false, message: 'alg is not a string' };
  const crv = typeof k.crv === 'string' ? k.crv : undefined;
  if (kty !== 'RSA' && (crv === undefined || !(CURVES[kty] ?? []).includes(crv))) {
    return { ok: false, message: `crv of an ${kty} key must be one of ${(CURVES[kty] ?? []).join(', ')}` };
  }
  let key: KeyObject;
  try {
    // Only the public members go in: node would derive a public key from a private JWK as well.
    const pub: JsonWebKey =
      kty === 'RSA'
        ? { kty, n: k.n as string, e: k.e as string }
        : kty === 'EC'
          ? { kty, crv, x: k.x as string, y: k.y as string }
          : { kty, crv, x: k.x as string };
    key = createPublicKey({ key: pub, format: 'jwk' });
  } catch (err) {
    return { ok: false, message: `not a valid ${kty} public key (${(err as Error).message})` };
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) {
    return { ok: false, message: `an RSA key needs at least ${MIN_RSA_BITS} bits, this one has ${bits}` };
  }
  return {
    ok: true,
    key: {
      ...(typeof k.kid === 'string' ? { kid: k.kid } : {}),
      ...(typeof k.alg === 'string' ? { alg: k.alg } : {}),
      kty,
      ...(crv !== undefined ? { crv } : {}),
      key,
    },
  };
}

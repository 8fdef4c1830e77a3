import { importJWK, type JWK } from 'jose';
import { ASYMMETRIC_ASSERTION_ALGORITHMS } from '../api/client-keys.ts';
import { isRecord } from '../manifests/metadata.ts';

export type SigningKeyCount =
  { ok: true; keys: number; jwks: Record<string, unknown>[] } | { ok: false; message: string };

/** Asymmetric JWS algorithms: the only ones a public key set can serve. */
const SIGNING_ALGORITHMS: ReadonlySet<string> = new Set(ASYMMETRIC_ASSERTION_ALGORITHMS);

/** The algorithm a key without `alg` would be used with; importing needs one. */
function defaultAlgorithm(jwk: Record<string, unknown>): string | undefined {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') {
    return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[String(jwk.crv)];
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/**
 * Whether a JWK can verify signatures: a public RSA/EC/OKP key, meant for signatures (RFC 7517 §4.2 `use`,
 * §4.3 `key_ops`), with a signing algorithm, that actually imports.
 */
export async function isSigningKey(jwk: unknown): Promise<boolean> {
  if (!isRecord(jwk)) return false;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return false;
  }
  const alg = typeof jwk.alg === 'string' ? jwk.alg : defaultAlgorithm(jwk);
  if (alg === undefined || !SIGNING_ALGORITHMS.has(alg)) return false;
  try {
    await importJWK(jwk as JWK, alg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Counts the keys of a JWK Set (RFC 7517 §5) that can verify signatures; a set without one is a failure
 * whose message starts with `where`.
 *
 * @example
 * const counted = await countSigningKeys(json, 'JWKS at https://sso.example.com/jwks');
 */
export async function countSigningKeys(
  jwks: Record<string, unknown>,
  where: string,
): Promise<SigningKeyCount> {
  if (!Array.isArray(jwks.keys)) return { ok: false, message: `${where} has no "keys" array` };
  const usable = await Promise.all(jwks.keys.map((key: unknown) => isSigningKey(key)));
  const signing = (jwks.keys as unknown[]).filter((_, i) => usable[i]) as Record<string, unknown>[];
  const keys = signing.length;
  if (keys > 0) return { ok: true, keys, jwks: signing };
  const total = jwks.keys.length;
  return {
    ok: false,
    message:
      `${where} holds no signing keys` +
      (total > 0 ? ` (${total} ${total === 1 ? 'key' : 'keys'}, none usable to verify signatures)` : ''),
  };
}

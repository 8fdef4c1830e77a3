import type { SigningKey } from './signing-keys.ts';

/**
 * RFC 9864 §2 deprecates `EdDSA` as a JWS algorithm name for the fully specified `Ed25519`, and some libraries
 * now warn on it (joserfc) while others know only `EdDSA`. Both are offered, signed with the one Ed25519 key
 * of the ring, so storage and rotation keep one key per key type. A JWK carries one `alg`, and strict resource
 * servers select keys by `kid` and `alg` (jose's createRemoteJWKSet), so the key is published once under
 * each name, as `<kid>.ed25519` for `Ed25519`: a thumbprint kid is base64url and never holds a dot.
 */
export const ED25519_KID_SUFFIX = '.ed25519';

// Per key object: every recomputation of the key set returns the same alias, and what is cached per key (the
// signed header, see jwt-sign.ts) stays cached; a rotated-out key and its alias go away together.
const aliases = new WeakMap<SigningKey, SigningKey>();

/** The Ed25519 key under `alg: Ed25519` and its derived kid; undefined for keys of other types. */
export function ed25519AliasOf(key: SigningKey): SigningKey | undefined {
  if (key.alg !== 'EdDSA') return undefined;
  let alias = aliases.get(key);
  if (alias === undefined) {
    const kid = `${key.kid}${ED25519_KID_SUFFIX}`;
    alias = {
      kid,
      alg: 'Ed25519',
      privateKey: key.privateKey,
      publicJwk: Object.freeze({ ...key.publicJwk, kid, alg: 'Ed25519' }),
    };
    aliases.set(key, alias);
  }
  return alias;
}

/** Every name a stored key signs and is published under: itself, then its alias if it has one. */
export function namesOf(key: SigningKey): SigningKey[] {
  const alias = ed25519AliasOf(key);
  return alias === undefined ? [key] : [key, alias];
}

/** The kid of the stored key that `kid` names: an alias's kid names the key it derives from. */
export function storedKid(kid: string): string {
  return kid.endsWith(ED25519_KID_SUFFIX) ? kid.slice(0, -ED25519_KID_SUFFIX.length) : kid;
}

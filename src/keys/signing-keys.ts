import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../api/resource-server.ts';

/**
 * The key types the key ring holds, one active key each, named by the JWS algorithm it was first published
 * for. The Ed25519 key (`EdDSA`) also signs and is published as `Ed25519`: see ed25519-alias.ts.
 */
export const KEY_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const satisfies readonly SigningAlgorithm[];
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** A private signing key with the public JWK that verifies its signatures. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  publicJwk: Readonly<JWK>;
}

/** The keys in force: one active key per algorithm, and every public key resource servers may meet. */
export interface SigningKeys {
  active: ReadonlyMap<SigningAlgorithm, SigningKey>;
  published: readonly Readonly<JWK>[];
  /**
   * How long a resource server may cache the published keys (JWKS `Cache-Control: max-age`), which must stay
   * well under the time a new key is published before it signs. Default {@link JWKS_MAX_AGE_SECONDS}.
   */
  maxAgeSeconds?: number;
}

/** The JWKS cache lifetime when the key set names none: what most JWKS clients cache for anyway. */
export const JWKS_MAX_AGE_SECONDS = 300;

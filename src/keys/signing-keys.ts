import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../api/resource-server.ts';

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

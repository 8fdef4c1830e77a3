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
}

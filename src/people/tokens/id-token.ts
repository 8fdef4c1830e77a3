import { createHash } from 'node:crypto';
import type { SigningAlgorithm } from '../../api/resource-server.ts';
import type { SigningKey } from '../../keys/signing-keys.ts';
import { signJwt } from '../../server/jwt-sign.ts';
import type { CompiledOrganization } from '../../store/snapshot.ts';
import type { PersonClaims } from './scopes.ts';

/**
 * The algorithm ID tokens are signed with. A client registers no `id_token_signed_response_alg`, whose default
 * is RS256 (OpenID Connect Dynamic Client Registration §2), and RS256 is what every relying party must accept
 * (OpenID Connect Core §15.1), so it is the one `id_token_signing_alg_values_supported` lists.
 */
export const ID_TOKEN_ALGORITHM = 'RS256' satisfies SigningAlgorithm;

/** The claims of an ID token (OpenID Connect Core §2, §3.1.3.6), plus the person's claims by scope. */
export interface IdTokenClaims extends PersonClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  auth_time: number;
  nonce?: string;
  amr: readonly string[];
  sid: string;
  at_hash: string;
  azp: string;
  /** The organization signed in to, as Auth0 puts it in ID tokens. */
  org_id?: string;
  org_name?: string;
}

/** What an ID token is made from: the sign-in (from the code or the refresh token) and the access token. */
export interface IdTokenInput {
  issuer: string;
  clientId: string;
  userId: string;
  sid: string;
  /** Seconds since the epoch when the person signed in. */
  authTime: number;
  amr: readonly string[];
  /** Only on the token of the authorization code; a refreshed ID token carries none (OpenID Connect Core §12.2). */
  nonce?: string;
  lifetimeSeconds: number;
  /** The access token issued beside it, for `at_hash`. */
  accessToken: string;
  algorithm: SigningAlgorithm;
  person: PersonClaims;
  /** The organization of this sign-in, when there is one. */
  organization?: Pick<CompiledOrganization, 'id' | 'name'>;
}

/**
 * `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the hash of the access token's ASCII octets,
 * base64url, with the hash of the signing algorithm: SHA-256 for RS256 and ES256, SHA-512 for EdDSA over
 * Ed25519 (as node-oidc-provider and the OpenID EdDSA notes do).
 *
 * @example
 * atHash(accessToken, 'RS256');
 */
export function atHash(accessToken: string, algorithm: SigningAlgorithm): string {
  const hash = algorithm === 'EdDSA' || algorithm === 'Ed25519' ? 'sha512' : 'sha256';
  const digest = createHash(hash).update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/**
 * The claims of an ID token for `input`, issued at `nowMs`. Pure. `aud` and `azp` are the client: an ID token
 * is for the relying party alone.
 */
export function idTokenClaims(input: IdTokenInput, nowMs: number): IdTokenClaims {
  const iat = Math.floor(nowMs / 1000);
  const claims: IdTokenClaims = {
    iss: input.issuer,
    sub: input.userId,
    aud: input.clientId,
    exp: iat + input.lifetimeSeconds,
    iat,
    auth_time: input.authTime,
    amr: [...input.amr],
    sid: input.sid,
    at_hash: atHash(input.accessToken, input.algorithm),
    azp: input.clientId,
    ...input.person,
  };
  if (input.nonce !== undefined) claims.nonce = input.nonce;
  if (input.organization !== undefined) {
    claims.org_id = input.organization.id;
    claims.org_name = input.organization.name;
  }
  return claims;
}

/** Signs ID token claims as a compact JWS (`typ: JWT`, the key's `alg` and `kid`). */
export function signIdToken(key: SigningKey, claims: IdTokenClaims): Promise<string> {
  return signJwt(key, claims, 'JWT');
}

import type { CompiledApi, CompiledOrganization } from '../store/snapshot.ts';

/** The claims of a JWT access token (RFC 9068 §2.2), plus `org_id` / `org_name` for an organization. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope?: string;
  iat: number;
  exp: number;
  jti: string;
  org_id?: string;
  org_name?: string;
}

export interface AccessTokenInput {
  issuer: string;
  clientId: string;
  api: CompiledApi;
  /** Scopes the token carries, in the API's declaration order. */
  scopes: readonly string[];
  organization?: CompiledOrganization;
  jti: string;
}

/**
 * Builds the claims of an access token issued to a client for itself (RFC 9068 §2.2: `sub` is the
 * client's id when no resource owner is involved). Pure: the same input and clock give the same claims.
 *
 * @param nowMs the clock in milliseconds; `iat` is its whole seconds
 * @example
 * accessTokenClaims({ issuer, clientId: 'worker', api, scopes: ['read'], jti }, 1_700_000_000_000);
 */
export function accessTokenClaims(input: AccessTokenInput, nowMs: number): AccessTokenClaims {
  const iat = Math.floor(nowMs / 1000);
  const claims: AccessTokenClaims = {
    iss: input.issuer,
    sub: input.clientId,
    aud: input.api.identifier,
    client_id: input.clientId,
    iat,
    exp: iat + input.api.lifetimeSeconds,
    jti: input.jti,
  };
  if (input.scopes.length > 0) claims.scope = input.scopes.join(' ');
  if (input.organization !== undefined) {
    claims.org_id = input.organization.id;
    claims.org_name = input.organization.name;
  }
  return claims;
}

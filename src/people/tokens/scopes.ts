import type { UserRecord } from '../records.ts';

/**
 * The scopes people sign-in understands itself (OpenID Connect Core §5.4, §11), besides the scopes of APIs:
 * `openid` asks for an ID token, `profile` and `email` for claims, `offline_access` for a refresh token.
 */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
export type OidcScope = (typeof OIDC_SCOPES)[number];

const OIDC_SCOPE_SET: ReadonlySet<string> = new Set(OIDC_SCOPES);

/** Whether `scope` is one of {@link OIDC_SCOPES}. */
export function isOidcScope(scope: string): scope is OidcScope {
  return OIDC_SCOPE_SET.has(scope);
}

/** The claims about a person that ID tokens, userinfo and discovery (`claims_supported`) may carry. */
export const PERSON_CLAIMS = ['name', 'preferred_username', 'groups', 'email', 'email_verified'] as const;

/** Claims about the person released for `scopes`, from the `user` record (OpenID Connect Core §5.4). */
export interface PersonClaims {
  name?: string;
  preferred_username?: string;
  groups?: readonly string[];
  email?: string;
  email_verified?: boolean;
}

/**
 * The claims `scopes` release: `profile` gives `name`, `preferred_username` and `groups` (a list of the
 * Connection's mapped groups, as Dex and Keycloak put them beside the profile), `email` gives `email` and
 * `email_verified`. Claims the person has no value for are left out (OpenID Connect Core §5.3.2).
 *
 * @example
 * personClaims(user, ['openid', 'email']); // { email: 'alice@example.com', email_verified: true }
 */
export function personClaims(user: UserRecord, scopes: readonly string[]): PersonClaims {
  const claims: PersonClaims = {};
  if (scopes.includes('profile')) {
    if (user.name !== undefined) claims.name = user.name;
    if (user.username !== undefined) claims.preferred_username = user.username;
    claims.groups = [...user.groups];
  }
  if (scopes.includes('email') && user.email !== undefined) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}

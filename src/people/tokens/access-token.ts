import type { AccessTokenClaims } from '../../server/claims.ts';
import type { SigningAlgorithm } from '../../api/resource-server.ts';
import { InvalidTarget, quote } from '../../server/errors.ts';
import type { Grant as ApiGrant } from '../../store/snapshot.ts';
import type { PersonApiClaims } from './person-claims.ts';
import { isOidcScope } from './scopes.ts';

/** Lifetime and algorithm of a person's access token that is for userinfo only (no API): design.md's default. */
export const USERINFO_TOKEN_LIFETIME_SECONDS = 300;
export const USERINFO_TOKEN_ALGORITHM = 'RS256' satisfies SigningAlgorithm;

/** Who a person's access token is for and what it carries. */
export interface PeopleTokenTarget {
  /** The API, or undefined for a token only userinfo accepts (`aud` is then the issuer). */
  api: ApiGrant | undefined;
  /** The token's scopes: the OpenID scopes asked for, then the API's scopes asked for and granted, in order. */
  scopes: readonly string[];
}

/**
 * The target of a person's access token (RFC 8707, RFC 9068 §2.2):
 * 1. the `resource` of the token request (RFC 8707 §2.2), which must be one the authorization request named
 *    when it named any;
 * 2. else the one `resource` of the authorization request (several must be narrowed to one at the token
 *    endpoint: an access token has one audience here);
 * 3. else the client's one granted API;
 * 4. else no API: `aud` is the issuer and the token is good for userinfo alone.
 * The target must be granted to the client. Scopes asked for that the client is not granted are left out of
 * the token (RFC 6749 §3.3: the response's `scope` says what was issued).
 *
 * @throws {InvalidTarget} for a resource not granted, not asked for at authorization, or ambiguous
 */
export function peopleTokenTarget(
  permissions: ReadonlyMap<string, ApiGrant>,
  scopes: readonly string[],
  authorized: readonly string[],
  requested: readonly string[],
): PeopleTokenTarget {
  const resource = chosenResource(authorized, requested);
  let api: ApiGrant | undefined;
  if (resource !== undefined) {
    api = permissions.get(resource);
    if (api === undefined) {
      throw new InvalidTarget(`resource ${quote(resource)} is unknown or not granted to this client`);
    }
  } else if (permissions.size === 1) {
    api = permissions.values().next().value as ApiGrant;
  }
  const oidc = scopes.filter(isOidcScope);
  const granted = api === undefined ? [] : scopes.filter((s) => !isOidcScope(s) && api.scopeSet.has(s));
  return { api, scopes: [...oidc, ...granted] };
}

function chosenResource(authorized: readonly string[], requested: readonly string[]): string | undefined {
  const asked = [...new Set(requested.filter((r) => r.length > 0))];
  if (asked.length > 1) throw new InvalidTarget('only one resource may be requested per token');
  const one = asked[0];
  if (one !== undefined) {
    if (authorized.length > 0 && !authorized.includes(one)) {
      throw new InvalidTarget(`resource ${quote(one)} was not named in the authorization request`);
    }
    return one;
  }
  if (authorized.length > 1) {
    throw new InvalidTarget('the authorization named several resources: send one of them as resource');
  }
  return authorized[0];
}

/**
 * The claims of a person's access token (RFC 9068 §2.2): `sub` is the person, `client_id` the client, and what
 * the person's organization and roles add (./person-claims.ts).
 */
export interface PeopleAccessTokenClaims
  extends Omit<AccessTokenClaims, 'org_id' | 'org_name'>, PersonApiClaims {
  /** RFC 9068 §2.2.1: when the person signed in. */
  auth_time: number;
}

/** Who a person's access token is issued to and for, and its `jti`. */
export interface PeopleAccessTokenInput {
  issuer: string;
  clientId: string;
  userId: string;
  authTime: number;
  target: PeopleTokenTarget;
  jti: string;
  /** The organization, permissions and groups claims (./person-claims.ts). */
  person: PersonApiClaims;
}

/** The claims and lifetime of a person's access token issued at `nowMs`. Pure. */
export function peopleAccessTokenClaims(
  input: PeopleAccessTokenInput,
  nowMs: number,
): { claims: PeopleAccessTokenClaims; lifetimeSeconds: number; algorithm: SigningAlgorithm } {
  const { api } = input.target;
  const lifetimeSeconds = api?.api.lifetimeSeconds ?? USERINFO_TOKEN_LIFETIME_SECONDS;
  const iat = Math.floor(nowMs / 1000);
  const claims: PeopleAccessTokenClaims = {
    iss: input.issuer,
    sub: input.userId,
    aud: api?.api.identifier ?? input.issuer,
    client_id: input.clientId,
    iat,
    exp: iat + lifetimeSeconds,
    jti: input.jti,
    auth_time: input.authTime,
    ...input.person,
  };
  if (input.target.scopes.length > 0) claims.scope = input.target.scopes.join(' ');
  return { claims, lifetimeSeconds, algorithm: api?.api.algorithm ?? USERINFO_TOKEN_ALGORITHM };
}

import type { CompiledApi, CompiledOrganization } from '../../store/snapshot.ts';
import type { PeopleTokenTarget } from './access-token.ts';
import { isOidcScope } from './scopes.ts';

/** What a person's access token carries about them for its API, beside the OAuth claims. */
export interface PersonApiClaims {
  org_id?: string;
  org_name?: string;
  /** The scopes the person's Roles give them on the API, when it asks for them (`spec.people.claims`). */
  permissions?: readonly string[];
  /** The person's groups from their sign-in, when the API asks for them. */
  groups?: readonly string[];
}

/** Whether issuing for `api` needs the person's role permissions: it enforces them or lists them. */
export function needsRolePermissions(api: CompiledApi | undefined): boolean {
  return api !== undefined && (api.people.enforceRoles || api.people.permissionsClaim);
}

/**
 * The target with its API scopes limited to `rolePermissions` when the API enforces roles (Auth0's RBAC); the
 * OpenID scopes stay. Unchanged otherwise.
 *
 * @example
 * limitToRoles({ api, scopes: ['openid', 'read', 'write'] }, ['read']); // scopes ['openid', 'read'] when enforced
 */
export function limitToRoles(
  target: PeopleTokenTarget,
  rolePermissions: readonly string[],
): PeopleTokenTarget {
  if (target.api?.api.people.enforceRoles !== true) return target;
  return { ...target, scopes: target.scopes.filter((s) => isOidcScope(s) || rolePermissions.includes(s)) };
}

/**
 * The person's claims in an access token for `api`: `org_id` and `org_name` for an organization's tokens, and
 * `permissions` and `groups` when the API asks for them. A token for userinfo alone (no API) carries the
 * organization only.
 */
export function personApiClaims(
  api: CompiledApi | undefined,
  organization: CompiledOrganization | undefined,
  person: { rolePermissions: readonly string[]; groups: readonly string[] },
): PersonApiClaims {
  const claims: PersonApiClaims = {};
  if (organization !== undefined) {
    claims.org_id = organization.id;
    claims.org_name = organization.name;
  }
  if (api?.people.permissionsClaim === true) claims.permissions = [...person.rolePermissions];
  if (api?.people.groupsClaim === true) claims.groups = [...person.groups];
  return claims;
}

import type { GrantType } from '../api/oauth-client.ts';
import type { DeclaredObject, DeclaredOAuthClient } from '../store/objects.ts';
import type { ObjectProblem } from './resolution-problems.ts';

/** What a client declares that can give its access tokens an audience. */
export interface ApiAccess {
  grantTypes: readonly GrantType[];
  /** Entries of `spec.grants`. */
  grants: number;
  /** Entries of `spec.roles`. */
  roles: number;
  /** Roles that Organizations listing this client give it in their context. */
  organizationRoles: number;
}

// With these a person signs in, which an ID token serves without any API; every other grant issues access
// tokens only, and the token endpoint refuses one without an audience the client is granted.
const PEOPLE_GRANTS: ReadonlySet<GrantType> = new Set([
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
]);

/**
 * A client granted no API at all: an error when it only has machine grants (`client_credentials`, the
 * federated ones), since every token request it makes fails with `invalid_target` (issue 16); a warning when
 * people sign in with it, who may need no API. Whether the grants resolve is for the store's compile to say.
 */
export function noApiProblem(access: ApiAccess): ObjectProblem | undefined {
  if (access.grants + access.roles + access.organizationRoles > 0) return undefined;
  if (access.grantTypes.some((g) => PEOPLE_GRANTS.has(g))) {
    return {
      field: 'spec.grants',
      message:
        'no API granted: its access tokens can name no audience; add spec.grants or spec.roles if it calls an API',
      severity: 'warning',
    };
  }
  return {
    field: 'spec.grants',
    message:
      'no API granted: with neither spec.grants nor spec.roles (nor roles from an Organization), every token request fails with invalid_target',
    severity: 'error',
  };
}

/** Each OAuthClient's {@link ApiAccess}, in the order given. */
export function apiAccessOf(objects: readonly DeclaredObject[]): Map<DeclaredOAuthClient, ApiAccess> {
  const organizationRoles = new Map<string, number>();
  for (const o of objects) {
    if (o.kind !== 'Organization') continue;
    for (const entry of o.spec.clients) {
      const key = `${entry.client.namespace ?? o.metadata.namespace}/${entry.client.name}`;
      organizationRoles.set(key, (organizationRoles.get(key) ?? 0) + (entry.roles?.length ?? 0));
    }
  }
  const access = new Map<DeclaredOAuthClient, ApiAccess>();
  for (const o of objects) {
    if (o.kind !== 'OAuthClient') continue;
    access.set(o, {
      grantTypes: o.spec.grantTypes,
      grants: o.spec.grants.length,
      roles: o.spec.roles.length,
      organizationRoles: organizationRoles.get(`${o.metadata.namespace}/${o.metadata.name}`) ?? 0,
    });
  }
  return access;
}

import type { Resolution } from '../store/compile/conditions.ts';
import { project } from './listing.ts';
import { defaultClientId } from '../store/names.ts';
import type { DeclaredOAuthClient, DeclaredResourceServer, DeclaredRole } from '../store/objects.ts';
import {
  CLIENT_FIELDS,
  RESOURCE_SERVER_FIELDS,
  ROLE_FIELDS,
  type ClientView,
  type RoleView,
  type ObjectFields,
  type ResourceServerView,
} from './view-schemas.ts';

/**
 * What the management API shows of each object (./view-schemas.ts): Auth0's field names where Auth0 has the
 * concept, the Kubernetes object's namespace, name and conditions besides. Never a secret: a client's Secret is
 * named, not read.
 */

function objectFields(
  o: DeclaredOAuthClient | DeclaredResourceServer | DeclaredRole,
  resolution: Resolution | undefined,
): ObjectFields {
  const { namespace, name, creationTimestamp } = o.metadata;
  return {
    namespace,
    name,
    ...(creationTimestamp === undefined || creationTimestamp === '' ? {} : { created_at: creationTimestamp }),
    ready: resolution?.ready ?? false,
    conditions: resolution?.conditions ?? [],
  };
}

/** Where a reference points: `namespace/name`, the namespace defaulting to the referrer's. */
function refName(ref: { name: string; namespace?: string | undefined }, from: string): string {
  return `${ref.namespace ?? from}/${ref.name}`;
}

/**
 * The view's fields in its documented order, the order `fields` names them in: JSON keeps the order objects are
 * built in, and the projection of every field is the whole view, in that order.
 */
function inOrder<T extends object>(view: T, order: readonly (keyof T & string)[]): T {
  return project(view, order) as T;
}

export function clientView(o: DeclaredOAuthClient, resolution: Resolution | undefined): ClientView {
  const { spec } = o;
  const { namespace, name } = o.metadata;
  return inOrder<ClientView>(
    {
      ...objectFields(o, resolution),
      client_id: resolution?.clientId ?? spec.clientId ?? defaultClientId(namespace, name),
      ...(spec.displayName === undefined ? {} : { display_name: spec.displayName }),
      app_type: spec.appType,
      grant_types: spec.grantTypes,
      token_endpoint_auth_method: spec.tokenEndpointAuthMethod,
      callbacks: spec.redirectUris ?? [],
      allowed_logout_urls: spec.postLogoutRedirectUris ?? [],
      web_origins: spec.allowedOrigins ?? [],
      is_first_party: spec.firstParty ?? false,
      organization_usage: spec.organizationUsage,
      ...(resolution?.secretName === undefined ? {} : { secret_name: resolution.secretName }),
      grants: spec.grants.map((g) => ({
        resource_server: refName(g.resourceServer, namespace),
        scopes: g.scopes,
      })),
      roles: spec.roles.map((r) => refName(r, namespace)),
    },
    CLIENT_FIELDS,
  );
}

export function resourceServerView(
  o: DeclaredResourceServer,
  resolution: Resolution | undefined,
): ResourceServerView {
  const { spec } = o;
  return inOrder<ResourceServerView>(
    {
      ...objectFields(o, resolution),
      id: `${o.metadata.namespace}/${o.metadata.name}`,
      identifier: spec.identifier,
      ...(spec.displayName === undefined ? {} : { display_name: spec.displayName }),
      scopes: spec.scopes.map((s) =>
        s.description === undefined ? { value: s.name } : { value: s.name, description: s.description },
      ),
      token_lifetime: spec.accessToken.lifetime,
      signing_alg: spec.accessToken.signingAlgorithm,
    },
    RESOURCE_SERVER_FIELDS,
  );
}

export function roleView(o: DeclaredRole, resolution: Resolution | undefined): RoleView {
  const { spec } = o;
  const { namespace } = o.metadata;
  return inOrder<RoleView>(
    {
      ...objectFields(o, resolution),
      id: `${namespace}/${o.metadata.name}`,
      ...(spec.description === undefined ? {} : { description: spec.description }),
      permissions: spec.permissions.map((p) => ({
        resource_server: refName(p.resourceServer, namespace),
        scopes: p.scopes,
      })),
      subjects: (spec.subjects ?? []).map((r) => ({
        ...(r.connection === undefined ? {} : { connection: refName(r.connection, namespace) }),
        ...(r.group === undefined ? {} : { group: r.group }),
        ...(r.emailDomain === undefined ? {} : { email_domain: r.emailDomain }),
        ...(r.userId === undefined ? {} : { user_id: r.userId }),
      })),
    },
    ROLE_FIELDS,
  );
}

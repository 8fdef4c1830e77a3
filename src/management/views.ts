import type { ConditionDecision, Resolution } from '../store/compile/conditions.ts';
import { defaultClientId } from '../store/names.ts';
import type { DeclaredOAuthClient, DeclaredResourceServer } from '../store/objects.ts';

/**
 * What the management API shows of each object: Auth0's field names where Auth0 has the concept, the
 * Kubernetes object's namespace, name and conditions besides. Never a secret: a client's Secret is named,
 * not read.
 */
export interface ObjectFields {
  namespace: string;
  name: string;
  /** RFC 3339; absent for an object not yet stored (dev mode gives every object one). */
  created_at?: string;
  /** Whether everything it declares is in effect (its `Ready` condition). */
  ready: boolean;
  conditions: readonly ConditionDecision[];
}

export interface ClientView extends ObjectFields {
  client_id: string;
  display_name?: string;
  app_type: string;
  grant_types: readonly string[];
  token_endpoint_auth_method: string;
  /** Redirect URIs (Auth0's `callbacks`). */
  callbacks: readonly string[];
  allowed_logout_urls: readonly string[];
  /** Origins allowed to call the token endpoint from browsers (Auth0's `web_origins`). */
  web_origins: readonly string[];
  is_first_party: boolean;
  organization_usage: string;
  /** The Secret holding its generated secret, when it has one; the secret itself is never shown. */
  secret_name?: string;
  grants: readonly { resource_server: string; scopes: readonly string[] }[];
  roles: readonly string[];
}

export interface ResourceServerView extends ObjectFields {
  /** `namespace/name`: the path segment that reads it (URL-encoded). */
  id: string;
  /** The `aud` of its tokens (Auth0's `identifier`). */
  identifier: string;
  display_name?: string;
  scopes: readonly { value: string; description?: string }[];
  token_lifetime: string;
  signing_alg: string;
}

/** The field order of each view: what `fields` may name and the order items carry them. */
export const CLIENT_FIELDS = [
  'client_id',
  'namespace',
  'name',
  'display_name',
  'app_type',
  'grant_types',
  'token_endpoint_auth_method',
  'callbacks',
  'allowed_logout_urls',
  'web_origins',
  'is_first_party',
  'organization_usage',
  'secret_name',
  'grants',
  'roles',
  'created_at',
  'ready',
  'conditions',
] as const satisfies readonly (keyof ClientView)[];

export const RESOURCE_SERVER_FIELDS = [
  'id',
  'namespace',
  'name',
  'identifier',
  'display_name',
  'scopes',
  'token_lifetime',
  'signing_alg',
  'created_at',
  'ready',
  'conditions',
] as const satisfies readonly (keyof ResourceServerView)[];

function objectFields(
  o: DeclaredOAuthClient | DeclaredResourceServer,
  resolution: Resolution | undefined,
): ObjectFields {
  const { namespace, name, creationTimestamp } = o.metadata;
  return {
    namespace,
    name,
    ...(creationTimestamp === undefined ? {} : { created_at: creationTimestamp }),
    ready: resolution?.ready ?? false,
    conditions: resolution?.conditions ?? [],
  };
}

/** Where a reference points: `namespace/name`, the namespace defaulting to the referrer's. */
function refName(ref: { name: string; namespace?: string | undefined }, from: string): string {
  return `${ref.namespace ?? from}/${ref.name}`;
}

/** The view's fields in `order`, the order `fields` names them in; JSON keeps the order objects are built in. */
function inOrder<T extends object>(view: T, order: readonly (keyof T)[]): T {
  const out: Partial<T> = {};
  for (const f of order) if (Object.hasOwn(view, f)) out[f] = view[f];
  return out as T;
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

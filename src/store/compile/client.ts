import {
  AUTH_METHOD_CAPABILITIES,
  GRANT_CAPABILITIES,
  type AuthMethodCapability,
  type GrantCapability,
} from '../../api/protocol-capabilities.ts';
import type { AuthMethod, GrantType, OAuthClientSpec } from '../../api/oauth-client.ts';
import type { AddressPolicy } from '../../outbound/address-policy.ts';
import type { DeclaredConnection, SecretData, WorldInputs } from '../objects.ts';
import { Reason, type Problem } from '../reasons.ts';
import type { ClientOrganization, CompiledClient } from '../snapshot.ts';
import type { ApiEntry, CompiledApis } from './apis.ts';
import { assertionLifetimeOf } from './client-assertion.ts';
import { clientAuthenticationOf, hasOwnKeys } from './client-authentication.ts';
import { secretConditionOf } from './client-secret.ts';
import type { ClientEntry, ClientNames } from './clients.ts';
import { referencesCondition, resolutionOf } from './conditions.ts';
import { federatedIdentitiesOf } from './federated-identities.ts';
import { peopleClientOf, type PeopleScope } from './people-client.ts';
import { addScopes, resolvePermission, roleReaching, toGrants, type ScopeSets } from './permissions.ts';
import { resolveRef, type OptIn, type RefTargets } from './resolve-ref.ts';
import { roleTargets, type CompiledRoles, type RoleEntry } from './roles.ts';
import { ManagementReach } from './management-reach.ts';

/** What an OAuthClient's references resolve against. */
export interface ClientScope extends PeopleScope {
  apis: CompiledApis;
  apiTargets: RefTargets<ApiEntry>;
  roles: CompiledRoles;
  connections: RefTargets<DeclaredConnection>;
  optIn: OptIn;
  /** Which hosts a `jwksUri` may name (src/store/objects.ts WorldInputs). */
  addressPolicy: AddressPolicy | undefined;
  /** The built-in management API, whose grants reach namespaces (./management-reach.ts). */
  managementApi: WorldInputs['managementApi'];
}

/** Organizations a client belongs to when none lists it: one shared empty map. */
const NO_ORGANIZATIONS: ReadonlyMap<string, ClientOrganization> = new Map();

/**
 * One OAuthClient that holds its client id, before organizations attach: its credentials, federated
 * identities and permissions. Absent from the snapshot (no `client`) when it cannot authenticate.
 */
export function compileClient(
  names: ClientNames,
  secretData: SecretData | undefined,
  scope: ClientScope,
): ClientEntry {
  const { decl, clientId, secretName } = names;
  const { namespace, name } = decl.metadata;
  const spec = decl.spec;
  const method = spec.tokenEndpointAuthMethod;
  const problems = capabilityProblems(spec);
  const refProblems: Problem[] = [];
  const usedRoles: [string, RoleEntry | undefined][] = [];
  const { sharedSecret } = AUTH_METHOD_CAPABILITIES[method];
  const secretCondition = sharedSecret ? secretConditionOf(decl, secretName, secretData) : undefined;
  const authentication = clientAuthenticationOf(spec, secretCondition, problems, scope.addressPolicy);
  const federatedIdentities = federatedIdentitiesOf(
    spec,
    namespace,
    scope.connections,
    scope.optIn,
    refProblems,
  );
  const reach = new ManagementReach(scope.managementApi, namespace);
  const permissions = permissionsOf(spec, namespace, scope, refProblems, usedRoles, reach);
  const managementReach = reach.result();
  const people = peopleClientOf(spec, name, namespace, scope, refProblems);
  const compiled: CompiledClient = {
    clientId,
    namespace,
    name,
    grantTypes: new Set(spec.grantTypes),
    authMethod: method,
    ...authentication,
    ...assertionLifetimeOf(spec),
    federatedIdentities,
    organizationUsage: spec.organizationUsage,
    permissions: toGrants(permissions, scope.apis.apis),
    organizations: NO_ORGANIZATIONS,
    ...(people !== undefined ? { people } : {}),
    ...(managementReach !== undefined ? { managementReach } : {}),
  };
  // A public client (RFC 8252 §8.4) has no credential: PKCE protects its codes.
  const serves =
    compiled.secretDigests.length > 0 ||
    compiled.assertionKeys !== undefined ||
    (method === 'none' && people !== undefined) ||
    (method === 'private_key_jwt' && !hasOwnKeys(spec) && federatedIdentities.length > 0);
  const conditions = [referencesCondition(refProblems)];
  if (secretCondition) conditions.push(secretCondition.condition);
  // A private_key_jwt client has no Secret, so its status names none.
  const status = sharedSecret ? { clientId, secretName, ...secretCondition?.rotationStatus } : { clientId };
  return {
    decl,
    objectKey: names.objectKey,
    clientId,
    secretName,
    key: names.key,
    secretKey: names.secretKey,
    secret: secretData,
    roles: usedRoles,
    ...(serves ? { client: compiled } : {}),
    resolution: resolutionOf(decl, [...problems, ...refProblems], status, conditions),
  };
}

/**
 * What the spec asks for that Latchkey does not do (src/api/protocol-capabilities.ts). Every value the schema
 * accepts is supported today; a value added to the schema before its implementation lands here.
 */
export function capabilityProblems(
  spec: Pick<OAuthClientSpec, 'grantTypes' | 'federatedIdentities' | 'tokenEndpointAuthMethod'>,
  capabilities: {
    grants: Readonly<Record<GrantType, GrantCapability>>;
    methods: Readonly<Record<AuthMethod, AuthMethodCapability>>;
  } = { grants: GRANT_CAPABILITIES, methods: AUTH_METHOD_CAPABILITIES },
): Problem[] {
  const problems: Problem[] = [];
  const { grants, methods } = capabilities;
  const unsupported = spec.grantTypes.filter((g) => !grants[g].supported);
  if (unsupported.length > 0) {
    problems.push({
      reason: Reason.GrantTypeNotSupported,
      message: `grant type ${unsupported.join(', ')} is not supported yet`,
    });
  }
  if ((spec.federatedIdentities ?? []).length === 0) {
    spec.grantTypes.forEach((g, i) => {
      if (!grants[g].federated) return;
      problems.push({
        reason: Reason.GrantNeedsFederatedIdentity,
        message: `spec.grantTypes[${i}]: ${g} needs spec.federatedIdentities (the grant's token is matched against them)`,
      });
    });
  }
  const method = spec.tokenEndpointAuthMethod;
  if (!methods[method].supported) {
    problems.push({
      reason: Reason.AuthMethodNotSupported,
      message: `tokenEndpointAuthMethod ${method} is not supported yet`,
    });
  }
  return problems;
}

/**
 * The client's direct grants and its Roles' permissions that reach its namespace; `usedRoles` learns each Role
 * read, `reach` the namespaces of its management API scopes.
 */
function permissionsOf(
  spec: OAuthClientSpec,
  namespace: string,
  scope: ClientScope,
  problems: Problem[],
  usedRoles: [string, RoleEntry | undefined][],
  reach: ManagementReach,
): ScopeSets {
  const { optIn } = scope;
  const permissions: ScopeSets = new Map();
  spec.grants.forEach((perm, i) => {
    const where = `spec.grants[${i}]`;
    const g = resolvePermission(perm, { namespace, where, optIn, problems }, scope.apiTargets);
    if (g === undefined) return;
    addScopes(permissions, g);
    reach.add(g, perm.namespaces, where, problems);
  });
  const roles = roleTargets(scope.roles, usedRoles);
  spec.roles.forEach((ref, i) => {
    const site = { namespace, where: `spec.roles[${i}]`, optIn, problems };
    const role = resolveRef(ref, site, roles);
    for (const g of roleReaching(role, namespace, site, scope.apis)) {
      addScopes(permissions, g);
      reach.add(g, undefined, site.where, problems);
    }
  });
  return permissions;
}

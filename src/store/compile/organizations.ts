import { claimOrder, claimOrganizationName } from '../claims.ts';
import type { DeclaredConnection, DeclaredObject, DeclaredOrganization } from '../objects.ts';
import { organizationId } from '../names.ts';
import type { Problem } from '../reasons.ts';
import type {
  ClientOrganization,
  CompiledApi,
  CompiledClient,
  CompiledConnection,
  CompiledOrganization,
} from '../snapshot.ts';
import type { CompiledApis } from './apis.ts';
import { clientTargets, type CompiledClients } from './clients.ts';
import { referencesCondition, resolvedOf, type Resolved } from './conditions.ts';
import { addScopes, roleReaching, toGrants, type ScopeSets } from './permissions.ts';
import { organizationPeople } from './organization-members.ts';
import { describe, resolveRef, type OptIn, type RefSite, type RefTargets } from './resolve-ref.ts';
import { roleTargets, type CompiledRoles } from './roles.ts';

/** What Organizations' references resolve against. */
export interface OrganizationScope {
  apis: CompiledApis;
  roles: CompiledRoles;
  clients: CompiledClients;
  connections: RefTargets<DeclaredConnection>;
  compiledConnections: ReadonlyMap<string, CompiledConnection>;
  optIn: OptIn;
}

/** Each member's organizations, by `org_id`. */
export type Memberships = Map<CompiledClient, Map<string, ClientOrganization>>;

export interface CompiledOrganizations {
  organizations: Map<string, CompiledOrganization>;
  memberships: Memberships;
  resolved: Resolved[];
}

/**
 * The Organizations in claim order (their name is the unique `org_name`): each attaches to the clients it
 * lists, with its extra roles, and checks its Connections.
 */
export function compileOrganizations(
  declared: readonly DeclaredOrganization[],
  scope: OrganizationScope,
): CompiledOrganizations {
  const organizations = new Map<string, CompiledOrganization>();
  const memberships: Memberships = new Map();
  const names = new Map<string, DeclaredObject>();
  const resolved: Resolved[] = [];
  for (const k of claimOrder(declared)) {
    const decl = declared[k] as DeclaredOrganization;
    const { namespace, name } = decl.metadata;
    const nameTaken = claimOrganizationName(decl, names);
    if (nameTaken) {
      resolved.push(resolvedOf(decl, [nameTaken]));
      continue;
    }
    const problems: Problem[] = [];
    const people = organizationPeople(decl, scope, problems);
    const org: CompiledOrganization = {
      id: organizationId(namespace, name),
      name,
      namespace,
      ...(decl.spec.displayName !== undefined ? { displayName: decl.spec.displayName } : {}),
      ...people,
    };
    organizations.set(org.id, org);
    attachMembers(decl, org, scope, memberships, problems);
    resolved.push(resolvedOf(decl, problems, { organizationId: org.id }, [referencesCondition(problems)]));
  }
  return { organizations, memberships, resolved };
}

/** Each client the Organization lists gets its permissions there: its own and the Organization's roles for it. */
function attachMembers(
  decl: DeclaredOrganization,
  org: CompiledOrganization,
  scope: OrganizationScope,
  memberships: Memberships,
  problems: Problem[],
): void {
  const { namespace } = decl.metadata;
  const clients = clientTargets(scope.clients);
  const roles = roleTargets(scope.roles);
  decl.spec.clients.forEach((entry, i) => {
    const where = `spec.clients[${i}]`;
    const target = resolveRef(entry.client, { namespace, where, optIn: scope.optIn, problems }, clients);
    if (target === undefined) return;
    const ns = entry.client.namespace ?? namespace;
    const label = describe('OAuthClient', ns, entry.client.name);
    const inOrg: ScopeSets = new Map();
    for (const [id, g] of target.client.permissions) inOrg.set(id, new Set(g.scopes));
    (entry.roles ?? []).forEach((ref, j) => {
      const site: RefSite = { namespace, where: `${where}.roles[${j}]`, optIn: scope.optIn, problems };
      const role = resolveRef(ref, site, roles);
      for (const g of roleReaching(role, ns, site, scope.apis, label)) addScopes(inOrg, g);
    });
    const apis: ReadonlyMap<string, CompiledApi> = scope.apis.apis;
    const orgs = memberships.get(target.client) ?? new Map<string, ClientOrganization>();
    orgs.set(org.id, { organization: org, permissions: toGrants(inOrg, apis) });
    memberships.set(target.client, orgs);
  });
}

/** The snapshot's clients: a member's entry is a copy with its organizations, so a reused client is never changed. */
export function withMemberships(
  clients: Map<string, CompiledClient>,
  memberships: Memberships,
): Map<string, CompiledClient> {
  for (const [client, orgs] of memberships) clients.set(client.clientId, { ...client, organizations: orgs });
  return clients;
}

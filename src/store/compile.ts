import type { SigningKeys } from '../keys/signing-keys.ts';
import type { DeclaredObject, DeclaredResourceServer, ObjectKey, WorldInputs } from './objects.ts';
import type { Snapshot } from './snapshot.ts';
import { apiTargets, compileApis } from './compile/apis.ts';
import { compileClients } from './compile/clients.ts';
import { invalidResolutions, type Resolution, type Resolved } from './compile/conditions.ts';
import { compileConnections } from './compile/connections.ts';
import { managementApiDeclaration } from './compile/management-api.ts';
import { connectionTargets } from './compile/federated-identities.ts';
import { federatedClientsOf } from './compile/federated-index.ts';
import { resolveIntrospection } from './compile/introspection.ts';
import { compileOrganizations, withMemberships } from './compile/organizations.ts';
import { namespaceOptIn } from './compile/resolve-ref.ts';
import {
  baseInputsOf,
  clientReuse,
  decideReuse,
  REUSE_NOTHING,
  type BaseInputs,
  type Reusable,
  type ReuseDecision,
} from './compile/reuse.ts';
import { peopleRolesOf } from './compile/people-roles.ts';
import { compileRoles } from './compile/roles.ts';

export type { ConditionDecision, Resolution } from './compile/conditions.ts';

export interface Compiled {
  snapshot: Snapshot;
  resolutions: ReadonlyMap<ObjectKey, Resolution>;
  /** What the next compile may reuse when given this one (see {@link compile}). */
  readonly reusable?: Reusable;
}

/**
 * Compiles the declared world into one immutable snapshot and a resolution per object.
 * Pure: no I/O, no clock. Objects with broken references still serve what did resolve
 * ("no token for the missing part") and are reported not Ready.
 *
 * Given the previous compile, it reuses what that one made of the same objects (src/store/compile/reuse.ts),
 * so one change among thousands of clients costs about one client. The result is the one a compile without
 * `previous` gives: when reuse turns out stale (who may introspect an API changed), it compiles again
 * reusing nothing.
 */
export function compile(
  inputs: WorldInputs,
  keys: SigningKeys,
  version: number,
  previous?: Compiled,
): Compiled {
  const byKind = objectsByKind(inputs.objects, managementApiDeclaration(inputs.managementApi));
  const base = baseInputsOf(inputs, byKind.ResourceServer, byKind.Connection);
  const reuse = decideReuse(previous?.reusable, base);
  return (
    compileWith(inputs, byKind, base, reuse, keys, version) ??
    (compileWith(inputs, byKind, base, REUSE_NOTHING, keys, version) as Compiled)
  );
}

/** The phases, in order: each kind's references resolve against the kinds compiled before it. */
function compileWith(
  inputs: WorldInputs,
  byKind: ObjectsByKind,
  base: BaseInputs,
  reuse: ReuseDecision,
  keys: SigningKeys,
  version: number,
): Compiled | undefined {
  const optIn = namespaceOptIn(inputs.namespaces);
  const apis = reuse.results?.apis ?? compileApis(byKind.ResourceServer, byKind.builtIn);
  const connections =
    reuse.results?.connections ??
    compileConnections(byKind.Connection, {
      checks: inputs.connectionChecks,
      unchecked: inputs.uncheckedIssuer,
      secrets: inputs.secrets,
      allowTest: inputs.allowTestConnections === true,
    });
  const connectionRefs = connectionTargets(byKind.Connection);
  const people = { connections: connectionRefs, compiledConnections: connections.connections };
  const roles = compileRoles(byKind.Role, apis, optIn, people, reuse.results?.roles);
  const scope = {
    apis,
    apiTargets: apiTargets(apis),
    roles,
    connections: connectionRefs,
    compiledConnections: connections.connections,
    optIn,
    addressPolicy: inputs.addressPolicy,
    managementApi: inputs.managementApi,
  };
  const clientsReuse = clientReuse(reuse, byKind.OAuthClient);
  const clients = compileClients(byKind.OAuthClient, inputs.secrets, scope, clientsReuse);
  const introspection = resolveIntrospection(apis, clients, optIn, reuse.results !== undefined);
  if (introspection.stale) return undefined;
  const orgs = compileOrganizations(byKind.Organization, { ...scope, clients });
  const snapshotClients = withMemberships(clients.clients, orgs.memberships);
  const snapshot: Snapshot = {
    version,
    clients: snapshotClients,
    apis: apis.apis,
    organizations: orgs.organizations,
    connections: connections.connections,
    connectionsByIssuer: connections.connectionsByIssuer,
    peopleRoles: peopleRolesOf(roles.values()),
    federatedClients: federatedClientsOf(snapshotClients.values()),
    keys,
  };
  const resolutions = resolutionsOf([
    roles.values(),
    clients.resolved,
    introspection.resolved,
    orgs.resolved,
    connections.resolved,
    invalidResolutions(inputs.invalid),
  ]);
  const clientOrder = { decls: byKind.OAuthClient, byAge: clients.order };
  const reusable = { base, apis, roles, clients: clients.entries, clientOrder, connections };
  return { snapshot, resolutions, reusable };
}

type ObjectsByKind = { [K in DeclaredObject['kind']]: Extract<DeclaredObject, { kind: K }>[] } & {
  /** The built-in management API, first among the ResourceServers when there is one. */
  builtIn?: DeclaredResourceServer;
};

function objectsByKind(objects: readonly DeclaredObject[], builtIn?: DeclaredResourceServer): ObjectsByKind {
  const byKind: ObjectsByKind = {
    ...(builtIn === undefined ? {} : { builtIn }),
    ResourceServer: builtIn === undefined ? [] : [builtIn],
    Role: [],
    OAuthClient: [],
    Organization: [],
    Connection: [],
  };
  for (const o of objects) (byKind[o.kind] as DeclaredObject[]).push(o);
  return byKind;
}

/** Every phase's resolutions, in phase order; a later one for the same object replaces an earlier one. */
function resolutionsOf(phases: readonly Iterable<Resolved>[]): Map<ObjectKey, Resolution> {
  const resolutions = new Map<ObjectKey, Resolution>();
  for (const phase of phases) for (const r of phase) resolutions.set(r.objectKey, r.resolution);
  return resolutions;
}

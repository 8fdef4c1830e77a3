import { createHash } from 'node:crypto';
import type { AuthMethod, GrantType } from '../../src/api/oauth-client.ts';
import type { SigningAlgorithm } from '../../src/api/resource-server.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { federatedClientsOf } from '../../src/store/compile/federated-index.ts';
import type {
  ClientOrganization,
  CompiledApi,
  CompiledClient,
  CompiledConnection,
  FederatedIdentity,
  CompiledOrganization,
  Grant,
  Snapshot,
  SnapshotSource,
} from '../../src/store/snapshot.ts';

/** Builds snapshots by hand, as the compiler would, so HTTP tests do not depend on manifests. */

export function api(
  name: string,
  algorithm: SigningAlgorithm,
  scopes: string[],
  lifetimeSeconds = 300,
  namespace = 'apis',
  introspectors: string[] = [],
): CompiledApi {
  return {
    namespace,
    name,
    identifier: `https://${name}.internal`,
    scopes,
    lifetimeSeconds,
    algorithm,
    introspectors: new Set(introspectors),
    people: { permissionsClaim: false, groupsClaim: false, enforceRoles: false },
  };
}

export function grant(of: CompiledApi, scopes: string[] = [...of.scopes]): Grant {
  const ordered = of.scopes.filter((s) => scopes.includes(s));
  return { api: of, scopes: ordered, scopeSet: new Set(ordered) };
}

export function permissions(...grants: Grant[]): ReadonlyMap<string, Grant> {
  return new Map(grants.map((g) => [g.api.identifier, g]));
}

export function organization(id: string, name: string, namespace = 'orgs'): CompiledOrganization {
  return { id, name, namespace, displayName: name.toUpperCase(), connections: [], members: [] };
}

export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export interface ClientInput {
  clientId: string;
  secrets?: string[];
  authMethod?: AuthMethod;
  grantTypes?: GrantType[];
  grants?: Grant[];
  organizationUsage?: CompiledClient['organizationUsage'];
  organizations?: { organization: CompiledOrganization; grants: Grant[] }[];
  federatedIdentities?: FederatedIdentity[];
}

export function client(input: ClientInput): CompiledClient {
  const [name = input.clientId, namespace = 'default'] = input.clientId.split('.');
  const organizations = new Map<string, ClientOrganization>(
    (input.organizations ?? []).map((o) => [
      o.organization.id,
      { organization: o.organization, permissions: permissions(...o.grants) },
    ]),
  );
  return {
    clientId: input.clientId,
    namespace,
    name,
    grantTypes: new Set(input.grantTypes ?? ['client_credentials']),
    authMethod: input.authMethod ?? 'client_secret_basic',
    secretDigests: (input.secrets ?? []).map(digest),
    federatedIdentities: input.federatedIdentities ?? [],
    organizationUsage: input.organizationUsage ?? 'deny',
    permissions: permissions(...(input.grants ?? [])),
    organizations,
  };
}

export function snapshot(
  keys: SigningKeys,
  world: {
    apis: CompiledApi[];
    clients: CompiledClient[];
    organizations?: CompiledOrganization[];
    connections?: CompiledConnection[];
  },
): Snapshot {
  const connections = world.connections ?? [];
  const byIssuer = new Map<string, CompiledConnection[]>();
  for (const c of connections) {
    if (c.issuer !== undefined && c.keys.length > 0)
      byIssuer.set(c.issuer, [...(byIssuer.get(c.issuer) ?? []), c]);
  }
  const clients = new Map(world.clients.map((c) => [c.clientId, c]));
  return {
    version: 1,
    clients,
    apis: new Map(world.apis.map((a) => [a.identifier, a])),
    organizations: new Map((world.organizations ?? []).map((o) => [o.id, o])),
    connections: new Map(connections.map((c) => [`${c.namespace}/${c.name}`, c])),
    peopleRoles: [],
    connectionsByIssuer: byIssuer,
    federatedClients: federatedClientsOf(clients.values()),
    keys,
  };
}

/** A snapshot source whose snapshot a test can replace. */
export class FixedSource implements SnapshotSource {
  snapshot: Snapshot;

  constructor(snapshot: Snapshot) {
    this.snapshot = snapshot;
  }

  current(): Snapshot {
    return this.snapshot;
  }
}

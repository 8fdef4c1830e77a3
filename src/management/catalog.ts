import type { Resolution } from '../store/compile/conditions.ts';
import { objectKey, type DeclaredObject, type ObjectKey } from '../store/objects.ts';
import type { Snapshot } from '../store/snapshot.ts';
import { Listing } from './listing.ts';
import type { ClientView, ResourceServerView, RoleView } from './view-schemas.ts';
import { clientView, resourceServerView, roleView } from './views.ts';

/** What the management API reads: the declared objects and what became of them, as of the snapshot in force. */
export interface DeclaredSource {
  current(): Snapshot;
  declared(): readonly DeclaredObject[];
  resolutions(): ReadonlyMap<ObjectKey, Resolution>;
}

/** Every resource's items as of one compile. */
export interface Catalog {
  clients: Listing<ClientView>;
  /** By `client_id`: the client holding it, when two declare it. */
  clientsById: ReadonlyMap<string, ClientView>;
  resourceServers: Listing<ResourceServerView>;
  /** By `namespace/name`. */
  resourceServersById: ReadonlyMap<string, ResourceServerView>;
  roles: Listing<RoleView>;
  /** By `namespace/name`. */
  rolesById: ReadonlyMap<string, RoleView>;
}

// One catalog per compile: its resolutions are a new map each time, and go away with it.
const catalogs = new WeakMap<ReadonlyMap<ObjectKey, Resolution>, Catalog>();

/** The catalog of the compile in force, built on first use after each compile. */
export function catalogOf(source: DeclaredSource): Catalog {
  const resolutions = source.resolutions();
  let catalog = catalogs.get(resolutions);
  if (catalog === undefined) {
    catalog = buildCatalog(source.declared(), resolutions, source.current());
    catalogs.set(resolutions, catalog);
  }
  return catalog;
}

export function buildCatalog(
  objects: readonly DeclaredObject[],
  resolutions: ReadonlyMap<ObjectKey, Resolution>,
  snapshot: Snapshot,
): Catalog {
  const sorted = [...objects].sort(byNamespaceAndName);
  const resolutionOf = (o: DeclaredObject) =>
    resolutions.get(objectKey(o.kind, o.metadata.namespace, o.metadata.name));
  const clients: ClientView[] = [];
  const resourceServers: ResourceServerView[] = [];
  const roles: RoleView[] = [];
  for (const o of sorted) {
    if (o.kind === 'OAuthClient') clients.push(clientView(o, resolutionOf(o)));
    else if (o.kind === 'ResourceServer') resourceServers.push(resourceServerView(o, resolutionOf(o)));
    else if (o.kind === 'Role') roles.push(roleView(o, resolutionOf(o)));
  }
  return {
    clients: new Listing(clients),
    clientsById: clientsById(clients, snapshot),
    resourceServers: new Listing(resourceServers),
    resourceServersById: new Map(resourceServers.map((r) => [r.id, r])),
    roles: new Listing(roles),
    rolesById: new Map(roles.map((r) => [r.id, r])),
  };
}

function byNamespaceAndName(a: DeclaredObject, b: DeclaredObject): number {
  const x = `${a.metadata.namespace}/${a.metadata.name}`;
  const y = `${b.metadata.namespace}/${b.metadata.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Client ids to clients; where two declare one, the one the snapshot has in force, else the first. */
function clientsById(clients: readonly ClientView[], snapshot: Snapshot): Map<string, ClientView> {
  const byId = new Map<string, ClientView>();
  for (const c of clients) {
    const held = snapshot.clients.get(c.client_id);
    const holds = held !== undefined && held.namespace === c.namespace && held.name === c.name;
    if (holds || !byId.has(c.client_id)) byId.set(c.client_id, c);
  }
  return byId;
}

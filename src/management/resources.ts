import type { Catalog } from './catalog.ts';
import { COMMON_FILTERS } from './filters.ts';
import type { ListShape } from './list-query.ts';
import type { Listing } from './listing.ts';
import type { ManagementResource } from './scopes.ts';
import { CLIENT_FIELDS, RESOURCE_SERVER_FIELDS, ROLE_FIELDS, type ObjectFields } from './view-schemas.ts';

/** How each resource of the management API lists and reads: its fields, its sort fields, its filters, and what `search` looks in. */
interface Resource<T extends ObjectFields> {
  shape: ListShape;
  listing: (c: Catalog) => Listing<T>;
  byId: (c: Catalog) => ReadonlyMap<string, T>;
  searchIn: (item: T) => readonly (string | undefined)[];
  /** Its name in messages: `client`, `resource server`. */
  noun: string;
  /** What the `{id}` of its get is, for the OpenAPI document. */
  idDescription: string;
}

export const MANAGEMENT_RESOURCES: {
  [R in ManagementResource]: Resource<ObjectFields & Record<string, unknown>>;
} = {
  clients: {
    shape: {
      fields: CLIENT_FIELDS,
      sortable: ['client_id', 'namespace', 'name', 'created_at'],
      filters: COMMON_FILTERS,
    },
    listing: (c) => c.clients as never,
    byId: (c) => c.clientsById as never,
    searchIn: (i) => [i.client_id as string, i.name, i.display_name as string | undefined],
    noun: 'client',
    idDescription: 'The client id (`client_id`).',
  },
  'resource-servers': {
    shape: {
      fields: RESOURCE_SERVER_FIELDS,
      sortable: ['identifier', 'namespace', 'name', 'created_at'],
      filters: COMMON_FILTERS,
    },
    listing: (c) => c.resourceServers as never,
    byId: (c) => c.resourceServersById as never,
    searchIn: (i) => [i.identifier as string, i.name, i.display_name as string | undefined],
    noun: 'resource server',
    idDescription: 'The ResourceServer as `namespace/name`, URL-encoded: `team-a%2Fpayments`.',
  },
  roles: {
    shape: { fields: ROLE_FIELDS, sortable: ['namespace', 'name', 'created_at'], filters: COMMON_FILTERS },
    listing: (c) => c.roles as never,
    byId: (c) => c.rolesById as never,
    searchIn: (i) => [i.name, i.description as string | undefined],
    noun: 'role',
    idDescription: 'The Role as `namespace/name`, URL-encoded: `team-a%2Fpayments-writer`.',
  },
};

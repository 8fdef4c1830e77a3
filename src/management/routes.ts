import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import type { RevocationStore } from '../runtime/revocation-store.ts';
import { StateUnavailableError } from '../state/runtime-state.ts';
import { authenticateCaller, requireScope, type Caller } from './caller.ts';
import { catalogOf, type Catalog, type DeclaredSource } from './catalog.ts';
import { ManagementError, managementErrorResponse, notFound } from './errors.ts';
import { COMMON_FILTERS, listFilter } from './filters.ts';
import { parseListQuery, type ListShape, type RawQuery } from './list-query.ts';
import { pageOf, project, type Listing } from './listing.ts';
import { reaches } from './reach.ts';
import { MANAGEMENT_READ_SCOPES, type ManagementResource } from './scopes.ts';
import { CLIENT_FIELDS, RESOURCE_SERVER_FIELDS, type ObjectFields } from './views.ts';

export interface ManagementDeps {
  source: DeclaredSource;
  issuer: string;
  /** `<issuer>/api/v1`: the `aud` its tokens carry. */
  identifier: string;
  /** The path it is served at, below the issuer's. */
  path: string;
  /** Whose clients reach every namespace. */
  latchkeyNamespace: string;
  now: Clock;
  revocations: RevocationStore;
}

/** How each resource lists: its fields, its sort fields, its filters, and what `search` looks in. */
interface Resource<T extends ObjectFields> {
  shape: ListShape;
  listing: (c: Catalog) => Listing<T>;
  byId: (c: Catalog) => ReadonlyMap<string, T>;
  searchIn: (item: T) => readonly (string | undefined)[];
  /** Its name in messages: `client`, `resource server`. */
  noun: string;
}

const RESOURCES: { [R in ManagementResource]: Resource<ObjectFields & Record<string, unknown>> } = {
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
  },
};

/**
 * The management API (issue 14) at `<issuer>/api/v1`: list and get for each resource, behind bearer tokens
 * for its built-in ResourceServer. Errors leave in its own shape (./errors.ts), never as a 5xx for bad input.
 */
export function registerManagementApi(app: FastifyInstance, deps: ManagementDeps): void {
  void app.register(
    (scope, _options, done) => {
      scope.setErrorHandler((err, request, reply) =>
        sendManagementError(reply, toManagementError(err, request)),
      );
      scope.setNotFoundHandler((request, reply) =>
        sendManagementError(
          reply,
          new ManagementError(
            404,
            'no_endpoint',
            `there is no management API endpoint at ${JSON.stringify(request.url.split('?', 1)[0]?.slice(0, 200))}`,
          ),
        ),
      );
      for (const name of Object.keys(RESOURCES) as ManagementResource[]) registerResource(scope, deps, name);
      done();
    },
    { prefix: deps.path },
  );
}

function registerResource(app: FastifyInstance, deps: ManagementDeps, name: ManagementResource): void {
  const resource = RESOURCES[name];
  const scope = MANAGEMENT_READ_SCOPES[name];
  app.get(`/${name}`, async (request, reply) => {
    const caller = await authorized(request, deps, scope);
    const query = parseListQuery(request.query as RawQuery, resource.shape);
    const keep = listFilter(query.filters, caller.reach, resource.searchIn);
    const { total, items } = pageOf(resource.listing(catalogOf(deps.source)), query, keep);
    return sendJson(reply, { meta: { page: query.page, page_size: query.pageSize, total }, items });
  });
  app.get<{ Params: { id: string } }>(`/${name}/:id`, async (request, reply) => {
    const caller = await authorized(request, deps, scope);
    const fields = fieldsOf(request.query as RawQuery, resource.shape.fields);
    const item = resource.byId(catalogOf(deps.source)).get(request.params.id);
    if (item === undefined || !reaches(caller.reach, item.namespace))
      throw notFound(resource.noun, request.params.id);
    return sendJson(reply, project(item, fields));
  });
}

async function authorized(request: FastifyRequest, deps: ManagementDeps, scope: string): Promise<Caller> {
  const caller = await authenticateCaller(request.headers.authorization, {
    issuer: deps.issuer,
    identifier: deps.identifier,
    latchkeyNamespace: deps.latchkeyNamespace,
    snapshot: deps.source.current(),
    nowMs: deps.now(),
    revocations: deps.revocations,
  });
  requireScope(caller, scope);
  return caller;
}

/** A get takes `fields` only. */
function fieldsOf(query: RawQuery, fields: readonly string[]): readonly string[] | undefined {
  return parseListQuery(query, { fields, sortable: [], filters: [] }, ['fields']).fields;
}

function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

function sendManagementError(reply: FastifyReply, e: ManagementError): FastifyReply {
  const { status, headers, body } = managementErrorResponse(e);
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body);
}

/** What leaves for an error that is not already the API's own: the client's fault stays a 4xx. */
function toManagementError(err: unknown, request: FastifyRequest): ManagementError {
  if (err instanceof ManagementError) return err;
  if (err instanceof StateUnavailableError) {
    return new ManagementError(
      503,
      'temporarily_unavailable',
      'the runtime state store cannot answer; try again shortly',
    );
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ManagementError(status, 'invalid_request', 'the request could not be read');
  }
  request.log.error({ err }, 'unexpected error');
  return new ManagementError(500, 'server_error', 'the server failed to answer; the failure is logged');
}

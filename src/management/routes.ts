import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import type { RevocationStore } from '../runtime/revocation-store.ts';
import { StateUnavailableError } from '../state/runtime-state.ts';
import { authenticateCaller, requireScope } from './caller.ts';
import { catalogOf, type DeclaredSource } from './catalog.ts';
import { ManagementError, managementErrorResponse, notFound } from './errors.ts';
import { listFilter } from './filters.ts';
import { parseListQuery, type RawQuery } from './list-query.ts';
import { pageOf, project } from './listing.ts';
import { managementOpenApi } from './openapi.ts';
import { CallerRateLimiter, DEFAULT_MANAGEMENT_RATE_LIMIT } from './rate-limit.ts';
import { registerBrowser } from './browser.ts';
import { reaches, type Reach } from './reach.ts';
import { MANAGEMENT_READ_SCOPES, type ManagementResource } from './scopes.ts';
import { MANAGEMENT_RESOURCES } from './resources.ts';

export interface ManagementDeps {
  source: DeclaredSource;
  issuer: string;
  /** `<issuer>/api/v1`: the `aud` its tokens carry. */
  identifier: string;
  /** The path it is served at, below the issuer's. */
  path: string;
  /** For its OpenAPI document: where clients get its tokens. */
  tokenEndpoint: string;
  now: Clock;
  revocations: RevocationStore;
  /** Requests one client may make per minute on this replica; default `DEFAULT_MANAGEMENT_RATE_LIMIT`. */
  ratePerMinute?: number;
}

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
      registerSchema(scope, deps);
      registerBrowser(scope, deps.path);
      const limiter = new CallerRateLimiter(deps.ratePerMinute ?? DEFAULT_MANAGEMENT_RATE_LIMIT);
      for (const name of Object.keys(MANAGEMENT_RESOURCES) as ManagementResource[])
        registerResource(scope, { ...deps, limiter }, name);
      done();
    },
    { prefix: deps.path },
  );
}

/** `GET /schema`: the OpenAPI 3.1 document, built once, without a token (it describes, it holds nothing). */
function registerSchema(app: FastifyInstance, deps: ManagementDeps): void {
  let document: string | undefined;
  app.get('/schema', (_request, reply) => {
    document ??= JSON.stringify(
      managementOpenApi({ api: deps.identifier, tokenEndpoint: deps.tokenEndpoint }),
    );
    return sendJson(reply, document);
  });
}

function registerResource(app: FastifyInstance, deps: LimitedDeps, name: ManagementResource): void {
  const resource = MANAGEMENT_RESOURCES[name];
  const scope = MANAGEMENT_READ_SCOPES[name];
  app.get(`/${name}`, async (request, reply) => {
    const reach = await authorized(request, reply, deps, scope);
    const query = parseListQuery(request.query as RawQuery, resource.shape);
    const keep = listFilter(query.filters, reach, resource.searchIn);
    const { total, items } = pageOf(resource.listing(catalogOf(deps.source)), query, keep);
    return sendJson(reply, { meta: { page: query.page, page_size: query.pageSize, total }, items });
  });
  app.get<{ Params: { id: string } }>(`/${name}/:id`, async (request, reply) => {
    const reach = await authorized(request, reply, deps, scope);
    const fields = fieldsOf(request.query as RawQuery, resource.shape.fields);
    const item = resource.byId(catalogOf(deps.source)).get(request.params.id);
    if (item === undefined || !reaches(reach, item.namespace))
      throw notFound(resource.noun, request.params.id);
    return sendJson(reply, project(item, fields));
  });
}

type LimitedDeps = ManagementDeps & { limiter: CallerRateLimiter };

/**
 * Authenticates the request, counts it against its client's rate limit (the `x-ratelimit-*` headers go on
 * every answer to an authenticated caller), and checks the scope: the namespaces it reaches with it.
 *
 * @throws {ManagementError} 401, 429 past the limit, 403 without the scope
 */
async function authorized(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: LimitedDeps,
  scope: string,
): Promise<Reach> {
  const caller = await authenticateCaller(request.headers.authorization, {
    issuer: deps.issuer,
    identifier: deps.identifier,
    snapshot: deps.source.current(),
    nowMs: deps.now(),
    revocations: deps.revocations,
  });
  const rate = deps.limiter.take(caller.clientId, deps.now());
  const headers = {
    'x-ratelimit-limit': String(rate.limit),
    'x-ratelimit-remaining': String(rate.remaining),
    'x-ratelimit-reset': String(rate.resetS),
  };
  void reply.headers(headers);
  if (!rate.allowed) {
    const retryAfter = String(rate.retryAfterS);
    throw new ManagementError(
      429,
      'too_many_requests',
      `client ${caller.clientId} has made ${rate.limit} requests this minute; try again in ${retryAfter} s`,
      undefined,
      { ...headers, 'retry-after': retryAfter },
    );
  }
  return requireScope(caller, scope);
}

/** A get takes `fields` only. */
function fieldsOf(query: RawQuery, fields: readonly string[]): readonly string[] | undefined {
  return parseListQuery(query, { fields, sortable: [], filters: [] }, ['fields']).fields;
}

function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

export function sendManagementError(reply: FastifyReply, e: ManagementError): FastifyReply {
  const { status, headers, body } = managementErrorResponse(e);
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body);
}

/** What leaves for an error that is not already the API's own: the client's fault stays a 4xx. */
export function toManagementError(err: unknown, request: FastifyRequest): ManagementError {
  if (err instanceof ManagementError) return err;
  if (err instanceof StateUnavailableError) {
    return new ManagementError(
      503,
      'temporarily_unavailable',
      'the runtime state store cannot answer; try again shortly',
    );
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if ((err as { code?: unknown } | null)?.code === 'FST_ERR_BAD_URL') {
    return new ManagementError(400, 'invalid_request', 'the request URL has malformed percent-encoding');
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ManagementError(status, 'invalid_request', 'the request could not be read');
  }
  request.log.error({ err }, 'unexpected error');
  return new ManagementError(500, 'server_error', 'the server failed to answer; the failure is logged');
}

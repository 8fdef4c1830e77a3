import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './list-query.ts';
import { MANAGEMENT_READ_SCOPES, type ManagementResource } from './scopes.ts';
import {
  clientViewSchema,
  projectionOf,
  resourceServerViewSchema,
  roleViewSchema,
  type ViewSchema,
} from './view-schemas.ts';
import { MANAGEMENT_RESOURCES } from './resources.ts';

/** Where the document says the API and its token endpoint are. */
export interface OpenApiUrls {
  /** `<issuer>/api/v1`. */
  api: string;
  tokenEndpoint: string;
}

const errorSchema = z
  .object({
    statusCode: z.number().int().meta({ description: 'The HTTP status.' }),
    error: z.string().meta({ description: 'The HTTP status text.' }),
    message: z.string().meta({ description: 'What was wrong, in words a person can act on.' }),
    errorCode: z.string().meta({
      description:
        'Stable, to match on: `invalid_query`, `invalid_request`, `missing_token`, `invalid_token`, `insufficient_scope`, `namespace_not_allowed`, `not_found`, `no_endpoint`, `too_many_requests`, `temporarily_unavailable`.',
    }),
  })
  .meta({ description: 'Every error of the management API.' });

const listMeta = z
  .object({
    page: z.number().int().min(1),
    page_size: z.number().int().min(1).max(MAX_PAGE_SIZE),
    total: z.number().int().min(0).meta({ description: 'How many items the filters keep, on every page.' }),
  })
  .meta({ description: 'Where the page is in the list.' });

const ITEM_SCHEMAS: { [R in ManagementResource]: ViewSchema } = {
  clients: clientViewSchema,
  'resource-servers': resourceServerViewSchema,
  roles: roleViewSchema,
};

/** Each resource's component name: `Client`, `ResourceServer`, `Role`. */
const COMPONENTS: { [R in ManagementResource]: string } = {
  clients: 'Client',
  'resource-servers': 'ResourceServer',
  roles: 'Role',
};

/** The component schemas: the resources, their lists, the list meta and the error, as JSON Schema 2020-12. */
function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  registry.add(errorSchema, { id: 'Error' });
  registry.add(listMeta, { id: 'ListMeta' });
  for (const name of Object.keys(ITEM_SCHEMAS) as ManagementResource[]) {
    const id = COMPONENTS[name];
    const item = ITEM_SCHEMAS[name];
    const projection = projectionOf(item);
    registry.add(item, { id });
    registry.add(projection, { id: `${id}Fields` });
    // With `fields`, items hold only the fields named: an OpenAPI document cannot tie a response to a parameter.
    const either = z.union([item, projection]);
    registry.add(either, { id: `${id}OrFields` });
    registry.add(z.object({ meta: listMeta, items: z.array(either) }), { id: `${id}List` });
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // Each would otherwise name its own base URI, against which `#/components/...` resolves nowhere.
  for (const s of Object.values(schemas)) {
    delete (s as { $schema?: string }).$schema;
    delete (s as { $id?: string }).$id;
  }
  return schemas;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: unknown, description: string, headers?: unknown) => ({
  description,
  ...(headers === undefined ? {} : { headers }),
  content: { 'application/json': { schema } },
});
const integerHeader = (description: string) => ({ description, schema: { type: 'integer' } });
/** On every answer to an authenticated caller. */
const RATE_HEADERS = {
  'x-ratelimit-limit': integerHeader('Requests the caller may make per minute on this replica.'),
  'x-ratelimit-remaining': integerHeader('How many of them are left in this minute.'),
  'x-ratelimit-reset': integerHeader('When the minute ends, in seconds since the epoch.'),
};
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      json(
        ref('Error'),
        ERROR_WORDS[s] ?? 'An error.',
        s === 429
          ? { ...RATE_HEADERS, 'retry-after': integerHeader('Seconds until the minute ends.') }
          : undefined,
      ),
    ]),
  );
const ERROR_WORDS: Readonly<Record<number, string>> = {
  400: 'The query is wrong; the message names what.',
  401: 'No token, or one that is not valid here.',
  403: 'The token lacks the scope, or names a namespace outside its reach.',
  404: 'No such object in the namespaces the token reaches.',
  429: 'The caller made as many requests as it may this minute.',
  503: 'The runtime state store, which says whether a token is revoked, cannot answer; try again shortly.',
};

const query = (name: string, description: string, schema: Record<string, unknown>) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

function listParameters(name: ManagementResource): unknown[] {
  const { sortable, fields } = MANAGEMENT_RESOURCES[name].shape;
  const sortField = `-?(${sortable.join('|')})`;
  return [
    query('page', 'The page, from 1.', { type: 'integer', minimum: 1, default: 1 }),
    query('page_size', `Items per page, at most ${MAX_PAGE_SIZE}.`, {
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
    }),
    query('sort', `Fields separated by \`:\`, \`-\` for descending: one of ${sortable.join(', ')}.`, {
      type: 'string',
      pattern: `^${sortField}(:${sortField})*$`,
    }),
    fieldsParameter(fields),
    query('namespace', 'Only objects in this namespace; one outside the token’s reach is a 403.', {
      type: 'string',
    }),
    query('search', 'Only objects whose names contain this, case-insensitively.', {
      type: 'string',
      maxLength: 200,
    }),
  ];
}

function fieldsParameter(fields: readonly string[]): unknown {
  return query('fields', `A comma-separated projection: any of ${fields.join(', ')}.`, { type: 'string' });
}

function resourcePaths(name: ManagementResource): Record<string, unknown> {
  const id = COMPONENTS[name];
  const security = [{ oauth2: [MANAGEMENT_READ_SCOPES[name]] }, { bearer: [] }];
  const noun = MANAGEMENT_RESOURCES[name].noun;
  return {
    [`/${name}`]: {
      get: {
        operationId: `list${id}s`,
        summary: `List ${noun}s`,
        security,
        parameters: listParameters(name),
        responses: {
          '200': json(ref(`${id}List`), `A page of ${noun}s.`, RATE_HEADERS),
          ...errors(400, 401, 403, 429, 503),
        },
      },
    },
    [`/${name}/{id}`]: {
      get: {
        operationId: `get${id}`,
        summary: `Get a ${noun}`,
        security,
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            description: MANAGEMENT_RESOURCES[name].idDescription,
            schema: { type: 'string' },
          },
          fieldsParameter(MANAGEMENT_RESOURCES[name].shape.fields),
        ],
        responses: {
          '200': json(ref(`${id}OrFields`), `The ${noun}.`, RATE_HEADERS),
          ...errors(400, 401, 403, 404, 429, 503),
        },
      },
    },
  };
}

/**
 * The management API's OpenAPI 3.1 document, from the resources' schemas (./view-schemas.ts), which reuse
 * the CRDs' field schemas: nothing in it is written twice.
 */
export function managementOpenApi(urls: OpenApiUrls): Record<string, unknown> {
  const resources = Object.keys(MANAGEMENT_RESOURCES) as ManagementResource[];
  return {
    openapi: '3.1.1',
    info: {
      title: 'Latchkey management API',
      version: 'v1',
      description:
        'Reads the identity configuration Latchkey serves. Call it with an access token from Latchkey for this API (audience `<issuer>/api/v1`): a client in a team’s namespace reaches that namespace, one in the Latchkey namespace every namespace.',
    },
    servers: [{ url: urls.api }],
    paths: Object.assign(
      {
        '/schema': {
          get: {
            operationId: 'getSchema',
            summary: 'This document',
            security: [],
            responses: { '200': json({ type: 'object' }, 'The OpenAPI 3.1 document.') },
          },
        },
      },
      ...resources.map(resourcePaths),
    ),
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `An access token from Latchkey with audience \`${urls.api}\` and the operation's scope.`,
        },
        oauth2: {
          type: 'oauth2',
          description: 'A `client_credentials` token with audience `<issuer>/api/v1`.',
          flows: {
            clientCredentials: {
              tokenUrl: urls.tokenEndpoint,
              scopes: Object.fromEntries(
                resources.map((r) => [MANAGEMENT_READ_SCOPES[r], `Read ${MANAGEMENT_RESOURCES[r].noun}s`]),
              ),
            },
          },
        },
      },
    },
  };
}

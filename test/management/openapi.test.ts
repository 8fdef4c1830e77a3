import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApiFiles } from '../../scripts/generate-openapi.ts';
import type { paths } from './generated/management-api.ts';
import { startManagementHarness, type ManagementHarness } from './management-harness.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

let h: ManagementHarness;
beforeAll(async () => {
  h = await startManagementHarness();
});
afterAll(() => h.close());

describe('GET /api/v1/schema', () => {
  it('is an OpenAPI 3.1 document a validator accepts, without a token', async () => {
    const res = await fetch(`${h.api}/schema`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as Record<string, unknown>;
    const validator = new Validator();
    expect(await validator.validate(document)).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
    expect(document).toMatchObject({
      openapi: expect.stringMatching(/^3\.1\./),
      servers: [{ url: h.api }],
      components: {
        securitySchemes: {
          oauth2: { flows: { clientCredentials: { tokenUrl: `${h.servers.issuer}/oauth2/token` } } },
        },
      },
    });
  });

  it('names every operation the API serves, each with the scope it needs', () => {
    const operations = Object.entries(h.document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.operationId]),
    );
    expect(Object.fromEntries(operations)).toEqual({
      'GET /schema': 'getSchema',
      'GET /clients': 'listClients',
      'GET /clients/{id}': 'getClient',
      'GET /resource-servers': 'listResourceServers',
      'GET /resource-servers/{id}': 'getResourceServer',
      'GET /roles': 'listRoles',
      'GET /roles/{id}': 'getRole',
    });
  });

  it('describes a spec field with the CRD’s own words and values', () => {
    const schemas = (
      h.document as unknown as {
        components: {
          schemas: Record<
            string,
            { properties: Record<string, { description?: string; items?: { enum?: string[] } }> }
          >;
        };
      }
    ).components.schemas;
    expect(schemas['Client']?.properties['grant_types']?.items?.enum).toContain('client_credentials');
    expect(schemas['Client']?.properties['grant_types']?.description).toMatch(
      /^OAuth grant types the client may use/,
    );
  });

  it('is committed as generated, with the types openapi-typescript makes of it', async () => {
    for (const f of await generateOpenApiFiles()) {
      expect(await readFile(join(ROOT, f.path), 'utf8'), `${f.path} is stale: run npm run generate`).toBe(
        f.content,
      );
    }
  });
});

describe('a client generated from the document (openapi-typescript types, openapi-fetch)', () => {
  it('lists clients with typed parameters and reads the typed answer', async () => {
    const token = await h.token('platform-automation.latchkey-system');
    const api = createClient<paths>({ baseUrl: h.api, headers: { authorization: `Bearer ${token}` } });
    const { data, error, response } = await api.GET('/clients', {
      params: { query: { namespace: 'team-c', sort: '-name', page_size: 2 } },
    });
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data?.meta).toEqual({ page: 1, page_size: 2, total: 45 });
    expect(data?.items.map((c) => c.client_id)).toEqual(['app-44.team-c', 'app-43.team-c']);

    const refused = await api.GET('/resource-servers/{id}', { params: { path: { id: 'team-a/nothing' } } });
    expect(refused.response.status).toBe(404);
    expect(refused.error?.errorCode).toBe('not_found');
  });
});

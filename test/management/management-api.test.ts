import * as oidc from 'openid-client';
import { StateUnavailableError } from '../../src/state/runtime-state.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LATCHKEY_NAMESPACE,
  LONG_CLIENT_ID,
  SECRETS,
  TEAM_C_CLIENTS,
  startManagementHarness,
  type ManagementHarness,
} from './management-harness.ts';

let h: ManagementHarness;
let platform: string;
let teamA: string;
let teamB: string;
beforeAll(async () => {
  h = await startManagementHarness();
  [platform, teamA, teamB] = await Promise.all([
    h.token('platform-automation.latchkey-system'),
    h.token('team-a-automation.team-a'),
    h.token('team-b-automation.team-b'),
  ]);
});
afterAll(() => h.close());

const ids = (body: Record<string, unknown>, field = 'client_id') =>
  (body.items as Record<string, unknown>[]).map((i) => i[field]);

describe('GET /api/v1/clients', () => {
  it('lists every namespace’s clients to a client of the Latchkey namespace, in {meta, items}', async () => {
    const { status, headers, body } = await h.get('/clients?page_size=100', platform);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body.meta).toEqual({ page: 1, page_size: 100, total: 6 + TEAM_C_CLIENTS });
    expect(ids(body).slice(0, 6)).toEqual([
      'platform-automation.latchkey-system',
      'portal-backend.latchkey-system',
      'payments-worker.team-a',
      'team-a-automation.team-a',
      LONG_CLIENT_ID,
      'team-b-automation.team-b',
    ]);
  });

  it('shows a client in Auth0’s field names with its conditions, and never its secret', async () => {
    const { body } = await h.get('/clients/team-a-automation.team-a', platform);
    expect(body).toMatchObject({
      client_id: 'team-a-automation.team-a',
      namespace: 'team-a',
      name: 'team-a-automation',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      is_first_party: false,
      organization_usage: 'deny',
      secret_name: 'team-a-automation-oauth',
      grants: [],
      roles: ['team-a/management-reader'],
      ready: true,
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
    });
    const all = JSON.stringify((await h.get('/clients?page_size=100', platform)).body);
    for (const secret of Object.values(SECRETS)) expect(all).not.toContain(secret);
  });

  it('reads a client by the longest id a client may have, and bounds what a 404 repeats of an id', async () => {
    const { status, body } = await h.get(`/clients/${LONG_CLIENT_ID}?fields=client_id`, platform);
    expect({ status, body }).toEqual({ status: 200, body: { client_id: LONG_CLIENT_ID } });
    const missing = await h.get(`/clients/${LONG_CLIENT_ID}y`, platform);
    expect(missing.status).toBe(404);
    expect(String(missing.body.message).length).toBeLessThan(300);
  });

  it('pages, sorts, filters, searches and projects', async () => {
    const page3 = await h.get('/clients?namespace=team-c&page=3&page_size=20', platform);
    expect(page3.body.meta).toEqual({ page: 3, page_size: 20, total: TEAM_C_CLIENTS });
    expect(ids(page3.body)).toHaveLength(TEAM_C_CLIENTS - 40);

    // app-44 was created first: created_at ascending reverses the names.
    const oldest = await h.get(
      '/clients?namespace=team-c&sort=created_at&page_size=3&fields=name,created_at',
      platform,
    );
    expect(oldest.body.items).toEqual([
      { name: 'app-44', created_at: '2026-01-01T00:00:15Z' },
      { name: 'app-43', created_at: '2026-01-01T00:00:16Z' },
      { name: 'app-42', created_at: '2026-01-01T00:00:17Z' },
    ]);
    const byName = await h.get('/clients?sort=-name&page_size=2&fields=client_id', platform);
    expect(byName.body.items).toEqual([
      { client_id: 'team-b-automation.team-b' },
      { client_id: 'team-a-automation.team-a' },
    ]);
    const search = await h.get('/clients?search=AUTOMATION&fields=client_id', platform);
    expect(ids(search.body)).toEqual([
      'platform-automation.latchkey-system',
      'team-a-automation.team-a',
      'team-b-automation.team-b',
    ]);
  });

  it('answers a bad query with a 400 that names what is wrong', async () => {
    const cases: [string, string][] = [
      ['?page_size=101', 'page_size must be at most 100, not 101'],
      ['?sort=-created:name', 'unknown sort field "created"; did you mean created_at?'],
      ['?fields=client_id,client_secret', 'unknown field "client_secret"'],
      ['?limit=5', 'unknown parameter "limit"'],
      ['?page=1&page=2', 'parameter page is given more than once'],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await h.get(`/clients${query}`, platform);
      expect({ query, status, body }).toEqual({
        query,
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          errorCode: 'invalid_query',
          message: expect.stringContaining(message),
        },
      });
    }
  });
});

describe('a team’s client reaches its own namespace only', () => {
  it('lists team-a’s clients to team-a’s automation and nothing of another namespace', async () => {
    const { body } = await h.get('/clients', teamA);
    expect(body.meta).toMatchObject({ total: 2 });
    expect(ids(body)).toEqual(['payments-worker.team-a', 'team-a-automation.team-a']);
  });

  it('answers a client of another namespace as one that does not exist', async () => {
    const other = await h.get('/clients/team-b-automation.team-b', teamA);
    const missing = await h.get('/clients/no-such-client.team-b', teamA);
    expect(other.status).toBe(404);
    expect(other.body).toEqual({
      ...missing.body,
      message: missing.body.message?.toString().replace('no-such-client', 'team-b-automation'),
    });
    expect(other.body.errorCode).toBe('not_found');
  });

  it('refuses to filter on another namespace with 403 naming its reach', async () => {
    const { status, body } = await h.get('/clients?namespace=team-b', teamA);
    expect(status).toBe(403);
    expect(body).toMatchObject({
      errorCode: 'namespace_not_allowed',
      message: 'your token reaches namespace team-a, not namespace "team-b"',
    });
  });

  it('needs the resource’s scope: 403 insufficient_scope with WWW-Authenticate (RFC 6750 §3)', async () => {
    const { status, headers, body } = await h.get('/resource-servers', teamA);
    expect(status).toBe(403);
    expect(headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="read:resource_servers"',
    );
    expect(body).toMatchObject({
      errorCode: 'insufficient_scope',
      message: expect.stringContaining('read:resource_servers'),
    });
    expect((await h.get('/clients', teamB)).status).toBe(403);
  });
});

describe('a grant limited to namespaces', () => {
  it('reaches the namespaces it names with that scope, and every namespace with its other grant', async () => {
    const token = await h.token('portal-backend.latchkey-system');
    const clients = await h.get('/clients?page_size=100&fields=namespace', token);
    expect(new Set((clients.body.items as { namespace: string }[]).map((i) => i.namespace))).toEqual(
      new Set(['team-a', 'team-c']),
    );
    expect((await h.get('/clients?namespace=team-b', token)).body).toMatchObject({
      errorCode: 'namespace_not_allowed',
      message: 'your token reaches namespaces team-a, team-c, not namespace "team-b"',
    });
    expect((await h.get('/clients/team-b-automation.team-b', token)).status).toBe(404);
    const apis = await h.get('/resource-servers?fields=id', token);
    expect(ids(apis.body, 'id')).toContain('team-b/ledger');
  });

  it('narrows at once when Git narrows it, for tokens already issued', async () => {
    const token = await h.token('portal-backend.latchkey-system');
    const narrowed = (namespaces: string[]) =>
      h.redeclare((objects) =>
        objects.map((o) =>
          o.kind === 'OAuthClient' && o.metadata.name === 'portal-backend'
            ? {
                ...o,
                spec: {
                  ...o.spec,
                  grants: o.spec.grants.map((g, i) => (i === 0 ? { ...g, namespaces } : g)),
                },
              }
            : o,
        ),
      );
    narrowed(['team-c']);
    try {
      expect((await h.get('/clients?namespace=team-a', token)).status).toBe(403);
      expect((await h.get('/clients?namespace=team-c', token)).status).toBe(200);
    } finally {
      narrowed(['team-a', 'team-c']);
    }
  });
});

describe('GET /api/v1/resource-servers', () => {
  it('lists a team’s APIs to its automation, with the conflicts it has', async () => {
    const { body } = await h.get('/resource-servers?fields=id,identifier,ready', teamB);
    expect(body.items).toEqual([
      { id: 'team-b/impostor', identifier: h.api, ready: false },
      { id: 'team-b/ledger', identifier: 'https://ledger.example.com', ready: true },
    ]);
    const impostor = await h.get('/resource-servers/team-b%2Fimpostor', teamB);
    expect(impostor.body.conditions).toContainEqual(
      expect.objectContaining({ reason: 'IdentifierConflict' }),
    );
  });

  it('does not list the built-in API, and refuses a ResourceServer that takes its name', async () => {
    const { body } = await h.get(`/resource-servers?namespace=${LATCHKEY_NAMESPACE}`, platform);
    expect(body.items).toEqual([
      expect.objectContaining({
        id: `${LATCHKEY_NAMESPACE}/management-api`,
        identifier: 'https://impostor.example.com',
        ready: false,
        conditions: expect.arrayContaining([expect.objectContaining({ reason: 'NameReserved' })]),
      }),
    ]);
  });

  it('reads one by namespace/name, URL-encoded, with its scopes', async () => {
    const { status, body } = await h.get('/resource-servers/team-a%2Fpayments', platform);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: 'team-a/payments',
      identifier: 'https://payments.example.com',
      display_name: 'Payments',
      scopes: [{ value: 'payments:read', description: 'Read payments' }],
      token_lifetime: '5m',
      signing_alg: 'RS256',
    });
    expect((await h.get('/resource-servers/team-a%2Fpayments', teamB)).status).toBe(404);
  });
});

describe('rate limits per caller', () => {
  it('says on every answer to a caller how many requests it has left this minute', async () => {
    const ok = await h.get('/clients?page_size=1', teamA);
    const refused = await h.get('/resource-servers', teamA);
    for (const { headers } of [ok, refused]) {
      expect(Number(headers.get('x-ratelimit-limit'))).toBe(300);
      expect(Number(headers.get('x-ratelimit-remaining'))).toBeLessThan(300);
      expect(Number(headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
    expect(Number(refused.headers.get('x-ratelimit-remaining'))).toBe(
      Number(ok.headers.get('x-ratelimit-remaining')) - 1,
    );
  });

  it('answers 429 with Retry-After past the limit, to that caller only', async () => {
    const limited = await startManagementHarness({ ratePerMinute: 2 });
    try {
      const [a, b] = await Promise.all([
        limited.token('team-a-automation.team-a'),
        limited.token('platform-automation.latchkey-system'),
      ]);
      expect((await limited.get('/clients', a)).status).toBe(200);
      expect((await limited.get('/clients', a)).status).toBe(200);
      const { status, headers, body } = await limited.get('/clients', a);
      expect({ status, remaining: headers.get('x-ratelimit-remaining') }).toEqual({
        status: 429,
        remaining: '0',
      });
      expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(body).toMatchObject({
        statusCode: 429,
        errorCode: 'too_many_requests',
        message: expect.stringContaining('client team-a-automation.team-a has made 2 requests this minute'),
      });
      expect((await limited.get('/clients', b)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('GET /api/v1/roles', () => {
  it('lists Roles with what they grant and the people they name', async () => {
    const { body } = await h.get('/roles?namespace=team-a&sort=-name', platform);
    expect(ids(body, 'id')).toEqual(['team-a/payments-admins', 'team-a/management-reader']);
    const { status, body: role } = await h.get('/roles/team-a%2Fpayments-admins', platform);
    expect(status).toBe(200);
    expect(role).toMatchObject({
      description: 'Payments for the admins group',
      permissions: [{ resource_server: 'team-a/payments', scopes: ['payments:read'] }],
      subjects: [{ connection: 'team-a/corp', group: 'admins' }],
      // Its Connection is not declared.
      ready: false,
    });
    expect((await h.get('/roles', teamA)).status).toBe(403);
  });
});

describe('who may call it', () => {
  it('answers no token with 401 and a Bearer challenge', async () => {
    const { status, headers, body } = await h.get('/clients');
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer');
    expect(body).toMatchObject({ statusCode: 401, errorCode: 'missing_token' });
  });

  it('refuses a token that is not one of ours, or for another API, with 401 invalid_token', async () => {
    const payments = await h.token('payments-worker.team-a', 'https://payments.example.com');
    for (const [token, message] of [
      ['garbage', 'is not an access token Latchkey issued'],
      [`${platform.slice(0, -4)}AAAA`, 'is not an access token Latchkey issued'],
      [payments, 'ask for one with audience'],
    ]) {
      const { status, headers, body } = await h.get('/clients', token);
      expect({ status, auth: headers.get('www-authenticate') }).toEqual({
        status: 401,
        auth: 'Bearer error="invalid_token"',
      });
      expect(body.message).toContain(message);
    }
  });

  it('does not give the management API to a client without a grant to it', async () => {
    await expect(h.token('payments-worker.team-a')).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('refuses a revoked token at once', async () => {
    const token = await h.token('team-a-automation.team-a');
    expect((await h.get('/clients', token)).status).toBe(200);
    const config = await oidc.discovery(
      new URL(h.servers.issuer),
      'team-a-automation.team-a',
      SECRETS['team-a-automation.team-a'],
      undefined,
      {
        execute: [oidc.allowInsecureRequests],
        algorithm: 'oauth2',
      },
    );
    await oidc.tokenRevocation(config, token);
    const { status, body } = await h.get('/clients', token);
    expect({ status, message: body.message }).toEqual({
      status: 401,
      message: 'the access token was revoked',
    });
  });

  it('takes a grant removed in Git away from tokens already issued, and a deleted client’s tokens', async () => {
    const token = await h.token('team-b-automation.team-b');
    h.redeclare((objects) =>
      objects.map((o) =>
        o.kind === 'OAuthClient' && o.metadata.name === 'team-b-automation'
          ? { ...o, spec: { ...o.spec, grants: [] } }
          : o,
      ),
    );
    expect((await h.get('/resource-servers', token)).status).toBe(403);
    h.redeclare((objects) => objects.filter((o) => o.metadata.name !== 'team-b-automation'));
    const gone = await h.get('/resource-servers', token);
    expect({ status: gone.status, message: gone.body.message }).toEqual({
      status: 401,
      message: 'client team-b-automation.team-b is no longer in effect',
    });
  });

  it('answers 503 temporarily_unavailable when the runtime state cannot say whether a token is revoked', async () => {
    const down = await startManagementHarness({
      revocations: {
        revoke: () => true,
        isRevoked: () => Promise.reject(new StateUnavailableError('PostgreSQL is not answering')),
      },
    });
    try {
      const token = await down.token('platform-automation.latchkey-system');
      const { status, body } = await down.get('/clients', token);
      expect({ status, body }).toEqual({
        status: 503,
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          errorCode: 'temporarily_unavailable',
          message: 'the runtime state store cannot answer; try again shortly',
        },
      });
    } finally {
      await down.close();
    }
  });

  it('answers paths and methods it does not serve in its own shape, never a 5xx', async () => {
    expect(await h.get('/users', platform)).toMatchObject({
      status: 404,
      body: { errorCode: 'no_endpoint' },
    });
    const post = await fetch(`${h.api}/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform}` },
      body: '{',
    });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ errorCode: 'no_endpoint' });
    const encoded = await h.get('/clients/%E0%A4%A', platform);
    expect(encoded).toMatchObject({
      status: 400,
      body: { errorCode: 'invalid_request', message: 'the request URL has malformed percent-encoding' },
    });
  });
});

import { generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/keys/signing-keys.ts';
import { NOW_MS, NOW_S, SECRETS, acme, audit, basic, decodePart, form, ledger, payments } from './harness.ts';
import {
  PAYMENTS_INTROSPECTOR,
  discover,
  issue,
  postAs,
  startRuntimeHarness,
  type RuntimeHarness,
} from './runtime-harness.ts';

let h: RuntimeHarness;
beforeAll(async () => {
  h = await startRuntimeHarness();
});
afterEach(() => h.reset());
afterAll(() => h.close());

const INACTIVE = '{"active":false}';
const introspect = (clientId: Parameters<typeof postAs>[1], params: Record<string, string>) =>
  postAs(h.servers.introspectionEndpoint, clientId, params);

/** The claims of a token our token endpoint issued, signed like ours, changed by `edit`. */
async function tokenLike(
  edit: { header?: Record<string, unknown>; claims?: Record<string, unknown> },
  key: Parameters<SignJWT['sign']>[0],
  alg = 'RS256',
): Promise<string> {
  const ours = decodePart(await issue(h, 'billing-worker.billing'), 1);
  const kid = (h.keys.active.get('RS256') as SigningKey).kid;
  return new SignJWT({ ...ours, ...edit.claims })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid, ...edit.header })
    .sign(key);
}

describe('POST /oauth2/introspect with openid-client (tokenIntrospection)', () => {
  it('reports a token issued to the caller as active, with exactly its claims', async () => {
    const clientId = 'billing-worker.billing';
    const config = await discover(h, clientId);
    const token = (await oidc.clientCredentialsGrant(config, { audience: payments.identifier })).access_token;

    expect(await oidc.tokenIntrospection(config, token)).toEqual({
      active: true,
      scope: 'payments:read payments:write',
      client_id: clientId,
      token_type: 'Bearer',
      exp: NOW_S + payments.lifetimeSeconds,
      iat: NOW_S,
      sub: clientId,
      aud: payments.identifier,
      iss: h.servers.issuer,
      jti: decodePart(token, 1).jti,
    });
  });

  it('authenticates a client_secret_post client in the body (ES256 token)', async () => {
    const config = await discover(h, 'ledger-sync.billing', 'post');
    const token = (await oidc.clientCredentialsGrant(config)).access_token;
    const answer = await oidc.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
    expect(answer).toMatchObject({ active: true, client_id: 'ledger-sync.billing', aud: ledger.identifier });
  });

  it('lets the client a ResourceServer names in spec.introspection introspect any token for that API', async () => {
    const token = await issue(h, 'multi.platform', { audience: payments.identifier });
    const config = await discover(h, PAYMENTS_INTROSPECTOR);
    expect(await oidc.tokenIntrospection(config, token)).toMatchObject({
      active: true,
      client_id: 'multi.platform',
      aud: payments.identifier,
      scope: 'payments:read',
    });
  });

  it('answers only active: false for a token of another client', async () => {
    const token = await issue(h, 'billing-worker.billing');
    const config = await discover(h, 'rotating.platform');
    expect(await oidc.tokenIntrospection(config, token)).toEqual({ active: false });
  });

  it('answers active: false to an API introspection client about a token for another API', async () => {
    const token = await issue(h, 'multi.platform', { audience: ledger.identifier });
    const config = await discover(h, PAYMENTS_INTROSPECTOR);
    expect(await oidc.tokenIntrospection(config, token)).toEqual({ active: false });
  });
});

describe('POST /oauth2/introspect, raw', () => {
  it('sends the active answer as RFC 7662 JSON, members in a fixed order, never cached', async () => {
    const token = await issue(h, 'tenant-app.saas', { organization: 'acme', audience: audit.identifier });
    const res = await introspect('tenant-app.saas', { token });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.text).toBe(
      JSON.stringify({
        active: true,
        scope: 'audit:read',
        client_id: 'tenant-app.saas',
        token_type: 'Bearer',
        exp: NOW_S + audit.lifetimeSeconds,
        iat: NOW_S,
        sub: 'tenant-app.saas',
        aud: audit.identifier,
        iss: h.servers.issuer,
        jti: decodePart(token, 1).jti,
        org_id: acme.id,
        org_name: acme.name,
      }),
    );
  });

  it('leaves scope out for a token that carries none', async () => {
    const token = await issue(h, 'bare.platform');
    const res = await introspect('bare.platform', { token });
    expect(res.body).not.toHaveProperty('scope');
    expect(res.body.active).toBe(true);
  });

  it('accepts any token_type_hint, known or not, and still finds the access token', async () => {
    const token = await issue(h, 'billing-worker.billing');
    for (const hint of ['access_token', 'refresh_token', 'urn:example:unknown', '__proto__', '']) {
      const res = await introspect('billing-worker.billing', { token, token_type_hint: hint });
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(true);
    }
  });

  it('calls a token inactive from its exp on, by the server clock', async () => {
    const token = await issue(h, 'auditor.security');
    h.clock.now = (NOW_S + audit.lifetimeSeconds) * 1000 - 1;
    expect((await introspect('auditor.security', { token })).body.active).toBe(true);
    h.clock.now = (NOW_S + audit.lifetimeSeconds) * 1000;
    expect((await introspect('auditor.security', { token })).text).toBe(INACTIVE);
  });

  it('calls a token inactive once this replica has revoked it', async () => {
    const token = await issue(h, 'billing-worker.billing');
    const { jti, exp } = decodePart(token, 1) as { jti: string; exp: number };
    await h.servers.revocations.revoke(jti, exp * 1000, NOW_MS, 'billing-worker.billing');
    expect((await introspect('billing-worker.billing', { token })).text).toBe(INACTIVE);
    expect((await introspect(PAYMENTS_INTROSPECTOR, { token })).text).toBe(INACTIVE);
  });

  it('calls a token inactive when its iat is more than 60 s ahead of the server clock', async () => {
    const token = await issue(h, 'billing-worker.billing');
    h.clock.now = NOW_MS - 60_000;
    expect((await introspect('billing-worker.billing', { token })).body.active).toBe(true);
    h.clock.now = NOW_MS - 61_000;
    expect((await introspect('billing-worker.billing', { token })).text).toBe(INACTIVE);
  });

  it('calls a token inactive once its key is no longer published', async () => {
    const token = await issue(h, 'billing-worker.billing');
    const snapshot = h.source.snapshot;
    const kid = decodePart(token, 0).kid;
    h.source.snapshot = {
      ...snapshot,
      keys: { ...snapshot.keys, published: snapshot.keys.published.filter((k) => k.kid !== kid) },
    };
    expect((await introspect('billing-worker.billing', { token })).text).toBe(INACTIVE);
  });

  it('gives the same bytes for every inactive token, and says why only in events', async () => {
    const stranger = await generateKeyPair('RS256');
    const ourKey = (h.keys.active.get('RS256') as SigningKey).privateKey;
    const cases: [string, string, string][] = [
      ['malformed', 'not-a-jwt', 'malformed'],
      ['base64 garbage', 'eyJhbGciOiJub25lIn0.e30.', 'malformed'],
      [
        'signed by a key we never published, under our kid',
        await tokenLike({}, stranger.privateKey),
        'foreign',
      ],
      ['typ JWT, signed by our key', await tokenLike({ header: { typ: 'JWT' } }, ourKey), 'malformed'],
      [
        'another iss, signed by our key',
        await tokenLike({ claims: { iss: 'https://evil.example.com' } }, ourKey),
        'foreign',
      ],
      ['alg none', `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.e30.`, 'malformed'],
      ['another client’s token', await issue(h, 'ledger-sync.billing'), 'not_permitted'],
    ];
    const from = h.events.introspected.length;
    for (const [name, token] of cases) {
      const res = await introspect('billing-worker.billing', { token });
      expect({ name, status: res.status, text: res.text }).toEqual({ name, status: 200, text: INACTIVE });
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect(h.events.introspected.slice(from)).toEqual(
      cases.map(([, , detail]) => ({ clientId: 'billing-worker.billing', active: false, detail })),
    );
  });

  it('counts introspections in the metrics by outcome', async () => {
    const token = await issue(h, 'billing-worker.billing');
    await introspect('billing-worker.billing', { token });
    await introspect('billing-worker.billing', { token: 'x' });
    const text = await (await fetch(`http://127.0.0.1:${h.servers.opsPort}/metrics`)).text();
    expect(text).toMatch(/^latchkey_introspections_total\{active="true"\} [1-9]\d*$/m);
    expect(text).toMatch(/^latchkey_introspections_total\{active="false"\} [1-9]\d*$/m);
  });

  it('is advertised in the metadata with the token endpoint’s client authentication methods', async () => {
    const metadata = (await (
      await fetch(`${h.servers.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(metadata.introspection_endpoint).toBe(h.servers.introspectionEndpoint);
    expect(metadata.introspection_endpoint_auth_methods_supported).toEqual(
      metadata.token_endpoint_auth_methods_supported,
    );
  });
});

interface Case {
  name: string;
  body?: string;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  status: number;
  expected: Record<string, string>;
  has?: Record<string, string>;
}

const as = (id: keyof typeof SECRETS) => ({ authorization: basic(id, SECRETS[id]) });
const invalidRequest = (d: string) => ({ error: 'invalid_request', error_description: d });
const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="latchkey", error="invalid_client"' };
const AUTH_FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };
const WRONG_TYPE = invalidRequest('the request body must be application/x-www-form-urlencoded');
const TOKEN_MISSING = invalidRequest('token is missing');

const hostile: Case[] = [
  {
    name: 'no token parameter',
    body: 'token_type_hint=access_token',
    headers: as('auditor.security'),
    status: 400,
    expected: TOKEN_MISSING,
  },
  {
    name: 'an empty token',
    body: 'token=',
    headers: as('auditor.security'),
    status: 400,
    expected: TOKEN_MISSING,
  },
  {
    name: 'the token only in the query string',
    path: '/oauth2/introspect?token=abc',
    body: '',
    headers: as('auditor.security'),
    status: 400,
    expected: TOKEN_MISSING,
  },
  {
    name: 'a duplicated token',
    body: 'token=a&token=b',
    headers: as('auditor.security'),
    status: 400,
    expected: invalidRequest("parameter 'token' is included more than once"),
  },
  {
    name: 'a duplicated token_type_hint',
    body: 'token=a&token_type_hint=access_token&token_type_hint=access_token',
    headers: as('auditor.security'),
    status: 400,
    expected: invalidRequest("parameter 'token_type_hint' is included more than once"),
  },
  {
    name: 'a duplicated client_id',
    body: `token=a&${form({ client_id: 'auditor.security', client_secret: SECRETS['auditor.security'] })}&client_id=auditor.security`,
    status: 400,
    expected: invalidRequest("parameter 'client_id' is included more than once"),
  },
  {
    name: 'no client authentication',
    body: 'token=abc',
    status: 401,
    expected: {
      error: 'invalid_client',
      error_description:
        'client authentication is required: send client_id and client_secret with HTTP Basic or in the body',
    },
  },
  {
    name: 'client_id alone',
    body: 'token=abc&client_id=auditor.security',
    status: 401,
    expected: { error: 'invalid_client', error_description: 'client_secret is required' },
  },
  {
    name: 'a wrong secret over HTTP Basic',
    body: 'token=abc',
    headers: { authorization: basic('auditor.security', 'wrong') },
    status: 401,
    expected: AUTH_FAILED,
    has: BASIC_CHALLENGE,
  },
  {
    name: 'an unknown client in the body',
    body: form({ token: 'abc', client_id: 'nobody.nowhere', client_secret: 'x' }),
    status: 401,
    expected: AUTH_FAILED,
  },
  {
    name: 'the secret both in HTTP Basic and in the body',
    body: form({ token: 'abc', client_secret: SECRETS['auditor.security'] }),
    headers: as('auditor.security'),
    status: 400,
    expected: invalidRequest(
      'client_secret is sent both in the Authorization header and in the body: use one of them',
    ),
  },
  {
    name: 'a Bearer Authorization header (the caller must authenticate as a client)',
    body: 'token=abc',
    headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' },
    status: 400,
    expected: invalidRequest('the token endpoint accepts only the Basic authorization scheme'),
  },
  {
    name: 'malformed HTTP Basic',
    body: 'token=abc',
    headers: { authorization: 'Basic !!!' },
    status: 400,
    expected: invalidRequest('malformed HTTP Basic credentials: expected base64 of client_id:client_secret'),
  },
  {
    name: 'a JSON body',
    body: JSON.stringify({ token: 'abc' }),
    headers: { 'content-type': 'application/json', ...as('auditor.security') },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'no body and no content type',
    body: undefined,
    headers: { 'content-type': '' },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'malformed percent-encoding',
    body: 'token=%ZZ',
    headers: as('auditor.security'),
    status: 400,
    expected: invalidRequest('the request body has malformed percent-encoding'),
  },
  {
    name: 'a huge body',
    body: `token=${'a'.repeat(20_000)}`,
    headers: as('auditor.security'),
    status: 413,
    expected: invalidRequest('the request body is larger than 16384 bytes'),
  },
  {
    name: 'GET',
    method: 'GET',
    body: undefined,
    status: 405,
    expected: invalidRequest('GET is not allowed here: use POST'),
    has: { allow: 'POST' },
  },
];

describe('POST /oauth2/introspect with hostile input', () => {
  it.each(hostile)('answers $name with $status and an exact RFC 6749 body', async (c) => {
    const url = c.path === undefined ? h.servers.introspectionEndpoint : h.servers.issuer + c.path;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      ...c.headers,
    };
    if (headers['content-type'] === '') delete headers['content-type'];
    const res = await fetch(url, { method: c.method ?? 'POST', headers, body: c.body });
    const text = await res.text();

    expect(res.status).toBe(c.status);
    expect(JSON.parse(text)).toEqual(c.expected);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['error', 'error_description']);
    expect(res.headers.get('cache-control')).toBe('no-store');
    if (c.status !== 401) expect(res.headers.get('www-authenticate')).toBeNull();
    for (const [name, value] of Object.entries(c.has ?? {})) expect(res.headers.get(name)).toBe(value);
  });

  it('reports refusals as request.failed events, naming the client once it is known', async () => {
    const from = h.events.failed.length;
    await fetch(h.servers.introspectionEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...as('auditor.security') },
      body: 'token_type_hint=access_token',
    });
    expect(h.events.failed.slice(from)).toEqual([
      {
        endpoint: 'introspection',
        error: 'invalid_request',
        clientId: 'auditor.security',
        detail: 'token is missing',
        namespace: 'security',
      },
    ]);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { createTokenServer } from '../../src/server/app.ts';
import { FixedSource } from './world.ts';
import { NOW_MS, SECRETS, decodePart, startHarness, testKeys, world, type Harness } from './harness.ts';
import { startPeopleHarness, type PeopleHarness } from '../people/harness.ts';

const GRANT_TYPES = [
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
];
// Introspection and revocation authenticate clients as the token endpoint does (RFC 7662 §2.1, RFC 7009 §2.1).
const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'client_secret_jwt',
];
const CLIENT_ASSERTION_ALGORITHMS = [
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
  ...['HS256', 'HS384', 'HS512'],
];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('GET /.well-known/oauth-authorization-server', () => {
  it('serves the RFC 8414 metadata, advertising only what works', async () => {
    const res = await fetch(`${h.servers.issuer}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({
      issuer: h.servers.issuer,
      token_endpoint: `${h.servers.issuer}/oauth2/token`,
      jwks_uri: `${h.servers.issuer}/.well-known/jwks.json`,
      grant_types_supported: GRANT_TYPES,
      token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      // RFC 8414 §2 requires the member and §3.2 forbids an empty array: no authorization endpoint, so "none".
      response_types_supported: ['none'],
      introspection_endpoint: `${h.servers.issuer}/oauth2/introspect`,
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      revocation_endpoint: `${h.servers.issuer}/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    });
  });

  it('answers HEAD like GET', async () => {
    const res = await fetch(`${h.servers.issuer}/.well-known/oauth-authorization-server`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });
});

describe('GET /.well-known/openid-configuration', () => {
  it('answers 404 with an RFC 6749 body that points to the RFC 8414 metadata: Latchkey is no OpenID provider yet', async () => {
    const res = await fetch(`${h.servers.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: `no OpenID Connect discovery here: this OAuth 2.0 authorization server's metadata (RFC 8414) is at ${h.servers.issuer}/.well-known/oauth-authorization-server`,
    });
  });

  it('makes openid-client discovery by the OpenID algorithm fail rather than half work', async () => {
    const discover = oidc.discovery(new URL(h.servers.issuer), 'auditor.security', undefined, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    await expect(discover).rejects.toMatchObject({
      code: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
      cause: expect.objectContaining({ status: 404 }),
    });
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes every public key of the snapshot, and nothing private', async () => {
    const res = await fetch(h.servers.jwksUri);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toEqual(h.keys.published);
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'Ed25519', 'EdDSA', 'RS256']);
    for (const k of jwks.keys) {
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k).not.toHaveProperty(priv);
    }
  });

  it('follows the snapshot in force', async () => {
    const original = h.source.snapshot;
    const only = h.keys.published.filter((k) => k.alg === 'EdDSA');
    h.source.snapshot = { ...original, keys: { active: original.keys.active, published: only } };
    try {
      const jwks = (await (await fetch(h.servers.jwksUri)).json()) as { keys: unknown[] };
      expect(jwks.keys).toEqual(only);
    } finally {
      h.source.snapshot = original;
    }
  });
});

describe('an issuer with a path', () => {
  let server: Server;
  let issuer: string;
  let close: () => Promise<unknown>;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenants/acme`;
    const app = createTokenServer({
      source: new FixedSource(world(await testKeys())),
      issuer,
      now: () => NOW_MS,
      events: new EventBus(),
      server,
    });
    await app.ready();
    close = async () => {
      await app.close();
      await new Promise((resolve) => server.close(resolve));
    };
  });
  afterAll(() => close());

  it('hangs the endpoints below the path and puts the RFC 8414 well-known before it', async () => {
    const openid = await fetch(`${issuer}/.well-known/openid-configuration`);
    const rfc8414 = await fetch(
      `${new URL(issuer).origin}/.well-known/oauth-authorization-server/tenants/acme`,
    );
    expect(openid.status).toBe(404);
    expect(rfc8414.status).toBe(200);
    const metadata = await rfc8414.json();
    expect(metadata).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/oauth2/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
    });
    expect((await fetch(`${new URL(issuer).origin}/oauth2/token`, { method: 'POST' })).status).toBe(404);
  });

  it('works with openid-client discovery by the RFC 8414 algorithm', async () => {
    const config = await oidc.discovery(
      new URL(issuer),
      'auditor.security',
      undefined,
      oidc.ClientSecretBasic(SECRETS['auditor.security']),
      { execute: [oidc.allowInsecureRequests], algorithm: 'oauth2' },
    );
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(decodePart(tokens.access_token, 1).iss).toBe(issuer);
  });
});

describe('with people sign-in (runtime state given): the OpenID provider metadata', () => {
  let p: PeopleHarness;
  beforeAll(async () => {
    p = await startPeopleHarness();
  });
  afterAll(() => p.close());

  const PEOPLE_GRANT_TYPES = [
    'client_credentials',
    'authorization_code',
    'refresh_token',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
    'urn:ietf:params:oauth:grant-type:token-exchange',
  ];

  it('serves one document at /.well-known/openid-configuration and at the RFC 8414 location', async () => {
    const res = await fetch(`${p.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const metadata = await res.json();
    expect(metadata).toEqual({
      issuer: p.issuer,
      token_endpoint: `${p.issuer}/oauth2/token`,
      jwks_uri: `${p.issuer}/.well-known/jwks.json`,
      grant_types_supported: PEOPLE_GRANT_TYPES,
      // Public clients (none) at the token endpoint and revocation, never at introspection.
      token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      response_types_supported: ['code'],
      introspection_endpoint: `${p.issuer}/oauth2/introspect`,
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      revocation_endpoint: `${p.issuer}/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
      revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      authorization_endpoint: `${p.issuer}/oauth2/authorize`,
      pushed_authorization_request_endpoint: `${p.issuer}/oauth2/par`,
      device_authorization_endpoint: `${p.issuer}/oauth2/device_authorization`,
      require_pushed_authorization_requests: false,
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      userinfo_endpoint: `${p.issuer}/oauth2/userinfo`,
      end_session_endpoint: `${p.issuer}/oauth2/logout`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      claims_supported: [
        ...['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'amr', 'sid', 'at_hash', 'azp'],
        ...['org_id', 'org_name'],
        ...['name', 'preferred_username', 'groups', 'email', 'email_verified'],
      ],
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    });
    const rfc8414 = await fetch(`${p.issuer}/.well-known/oauth-authorization-server`);
    expect(await rfc8414.json()).toEqual(metadata);
  });

  it('makes openid-client discovery by the OpenID algorithm work', async () => {
    const config = await oidc.discovery(new URL(p.issuer), 'spa.people', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata()).toMatchObject({
      issuer: p.issuer,
      userinfo_endpoint: `${p.issuer}/oauth2/userinfo`,
      code_challenge_methods_supported: ['S256'],
    });
  });
});

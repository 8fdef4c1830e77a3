/**
 * The JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693) for federated identities: a token from
 * the issuer of a Connection, signed with a real key whose public half the snapshot holds (as the operator
 * puts it there), is exchanged for an access token of the OAuthClient that federates its subject.
 */
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import type { CompiledConnection } from '../../src/store/snapshot.ts';
import { NOW_MS, NOW_S, basic, form, ledger, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const BOTH = [JWT_BEARER, TOKEN_EXCHANGE] as const;

const CLUSTER_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const CI_ISSUER = 'https://ci.example.com';
const sa = (name: string) => `system:serviceaccount:apps:${name}`;
const GATEWAY_SECRET = 'secret-gateway-4Rt7';

let servers: RunningServers;
let clusterKey: CryptoKey;
let ciKey: CryptoKey;
let strangerKey: CryptoKey;
const issued: LatchkeyEvents['token.issued'][] = [];
const failed: LatchkeyEvents['token.failed'][] = [];

beforeAll(async () => {
  const cluster = await generateKeyPair('RS256', { extractable: true });
  const ci = await generateKeyPair('ES256', { extractable: true });
  clusterKey = cluster.privateKey;
  ciKey = ci.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const connection = async (
    name: string,
    type: CompiledConnection['type'],
    issuer: string,
    publicKey: CryptoKey,
    kid: string,
  ): Promise<CompiledConnection> => {
    const parsed = parseClientKey({ ...(await exportJWK(publicKey)), kid });
    if (!parsed.ok) throw new Error(parsed.message);
    return { namespace: 'latchkey', name, type, issuer, keys: [parsed.key] };
  };
  const federated = (subject: string, connection = 'latchkey/cluster') => [{ connection, subject }];
  const source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments, ledger],
      connections: [
        await connection('cluster', 'kubernetes', CLUSTER_ISSUER, cluster.publicKey, 'sa-1'),
        await connection('ci', 'oidc', CI_ISSUER, ci.publicKey, 'ci-1'),
      ],
      clients: [
        client({
          clientId: 'worker.apps',
          authMethod: 'private_key_jwt',
          grantTypes: ['client_credentials', ...BOTH],
          grants: [grant(payments, ['payments:read', 'payments:write'])],
          federatedIdentities: federated(sa('worker')),
        }),
        client({
          clientId: 'reporter.apps',
          authMethod: 'private_key_jwt',
          grantTypes: [...BOTH],
          grants: [grant(payments, ['payments:read']), grant(ledger, ['ledger:read'])],
          federatedIdentities: federated(sa('reporter')),
        }),
        client({
          clientId: 'legacy.apps',
          authMethod: 'private_key_jwt',
          grants: [grant(payments, ['payments:read'])],
          federatedIdentities: federated(sa('legacy')),
        }),
        client({
          clientId: 'twin-a.apps',
          authMethod: 'private_key_jwt',
          grantTypes: [...BOTH],
          grants: [grant(payments, ['payments:read'])],
          federatedIdentities: federated(sa('shared')),
        }),
        client({
          clientId: 'twin-b.apps',
          authMethod: 'private_key_jwt',
          grantTypes: [...BOTH],
          grants: [grant(ledger, ['ledger:read'])],
          federatedIdentities: federated(sa('shared')),
        }),
        client({
          clientId: 'deployer.ci',
          authMethod: 'private_key_jwt',
          grantTypes: [...BOTH],
          grants: [grant(ledger, ['ledger:write'])],
          federatedIdentities: federated('repo:acme/app:ref:refs/heads/main', 'latchkey/ci'),
        }),
        client({
          clientId: 'gateway.apps',
          secrets: [GATEWAY_SECRET],
          grantTypes: ['client_credentials', ...BOTH],
          grants: [grant(payments)],
        }),
      ],
    }),
  );
  const events = new EventBus();
  events.on('token.issued', (e) => issued.push(e));
  events.on('token.failed', (e) => failed.push(e));
  servers = await startServers({ source, port: 0, opsPort: 0, now: () => NOW_MS, events, ready: () => true });
});

afterAll(async () => {
  await servers.close();
});

beforeEach(() => {
  issued.length = 0;
  failed.length = 0;
});

/** A token shaped like a projected ServiceAccount token: one hour long, no jti. */
async function saToken(
  name = 'worker',
  claims: Record<string, unknown> = {},
  key: CryptoKey = clusterKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    iss: CLUSTER_ISSUER,
    sub: sa(name),
    aud: [servers.issuer],
    iat: NOW_S - 600,
    nbf: NOW_S - 600,
    exp: NOW_S + 3000,
    'kubernetes.io': { namespace: 'apps', serviceaccount: { name } },
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'sa-1', ...header })
    .sign(key);
}

/** A CI system's OIDC token for the main branch of acme/app, ES256. */
async function ciToken(): Promise<string> {
  return new SignJWT({
    iss: CI_ISSUER,
    sub: 'repo:acme/app:ref:refs/heads/main',
    aud: servers.tokenEndpoint,
    iat: NOW_S - 10,
    exp: NOW_S + 300,
    jti: 'run-1',
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'ci-1' })
    .sign(ciKey);
}

const bearer = (assertion: string, extra: Record<string, string> = {}) =>
  form({ grant_type: JWT_BEARER, assertion, ...extra });
const exchange = (subjectToken: string, extra: Record<string, string> = {}) =>
  form({ grant_type: TOKEN_EXCHANGE, subject_token: subjectToken, subject_token_type: JWT_TYPE, ...extra });

async function verified(accessToken: string, audience = payments.identifier) {
  const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(servers.jwksUri)), {
    issuer: servers.issuer,
    audience,
    typ: 'at+jwt',
    currentDate: new Date(NOW_MS),
  });
  return payload;
}

/** openid-client configured for a client that sends only its client_id (RFC 6749 §3.2.1). */
function discover(clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(servers.issuer), clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

const invalidGrant = (d: string) => ({ error: 'invalid_grant', error_description: d });
const invalidRequest = (d: string) => ({ error: 'invalid_request', error_description: d });

describe('grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer', () => {
  it('issues a token of the client federating the ServiceAccount to openid-client (genericGrantRequest)', async () => {
    const config = await discover('worker.apps');
    const tokens = await oidc.genericGrantRequest(config, JWT_BEARER, { assertion: await saToken() });
    expect(tokens).toMatchObject({
      token_type: 'bearer',
      expires_in: payments.lifetimeSeconds,
      scope: 'payments:read payments:write',
    });
    expect(await verified(tokens.access_token)).toMatchObject({
      sub: 'worker.apps',
      client_id: 'worker.apps',
      aud: payments.identifier,
      scope: 'payments:read payments:write',
      iat: NOW_S,
      exp: NOW_S + payments.lifetimeSeconds,
    });
    expect(issued).toEqual([
      {
        clientId: 'worker.apps',
        grantType: JWT_BEARER,
        audience: payments.identifier,
        algorithm: 'RS256',
        organizationId: undefined,
      },
    ]);
  });

  it('needs no client_id when exactly one client federates the subject, and takes the same token again', async () => {
    const jwt = await saToken();
    // A ServiceAccount token is reused until the kubelet rotates it: no jti replay rejection.
    for (let i = 0; i < 2; i++) {
      const res = await post(servers.tokenEndpoint, bearer(jwt));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
      expect((await verified(res.body.access_token as string)).client_id).toBe('worker.apps');
    }
  });

  it('narrows scope and picks the API with audience or resource, exactly as client_credentials does', async () => {
    const narrowed = await post(servers.tokenEndpoint, bearer(await saToken(), { scope: 'payments:read' }));
    expect(narrowed.body.scope).toBe('payments:read');

    const reporter = await saToken('reporter');
    expect((await post(servers.tokenEndpoint, bearer(reporter))).body).toEqual(
      invalidRequest('audience is required (or resource): this client is granted several APIs'),
    );
    const byResource = await post(servers.tokenEndpoint, bearer(reporter, { resource: ledger.identifier }));
    expect(byResource.status).toBe(200);
    expect(await verified(byResource.body.access_token as string, ledger.identifier)).toMatchObject({
      sub: 'reporter.apps',
      scope: 'ledger:read',
    });
    expect(
      (await post(servers.tokenEndpoint, bearer(reporter, { audience: 'https://hr.internal' }))).body,
    ).toEqual({
      error: 'invalid_target',
      error_description: "audience 'https://hr.internal' is unknown or not granted to this client",
    });
    expect(
      (await post(servers.tokenEndpoint, bearer(await saToken(), { scope: 'payments:refund' }))).body,
    ).toEqual({
      error: 'invalid_scope',
      error_description: "scope not granted for this API: 'payments:refund'",
    });
  });

  it('accepts a CI system’s ES256 token for the token endpoint audience from an oidc Connection', async () => {
    const res = await post(servers.tokenEndpoint, bearer(await ciToken()));
    expect(res.status).toBe(200);
    expect(await verified(res.body.access_token as string, ledger.identifier)).toMatchObject({
      sub: 'deployer.ci',
      scope: 'ledger:write',
    });
  });

  it('takes client authentication with the same ServiceAccount token as client_assertion', async () => {
    const jwt = await saToken();
    const res = await post(
      servers.tokenEndpoint,
      bearer(jwt, {
        client_id: 'worker.apps',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: jwt,
      }),
    );
    expect(res.status).toBe(200);
    expect((await verified(res.body.access_token as string)).sub).toBe('worker.apps');
  });

  it('lets client_id choose among clients federating one subject, and requires it then', async () => {
    const shared = await saToken('shared');
    expect(await post(servers.tokenEndpoint, bearer(shared))).toMatchObject({
      status: 400,
      body: invalidRequest(
        `client_id is required: assertion 'sub' '${sa('shared')}' of issuer '${CLUSTER_ISSUER}' is a federated identity of several clients`,
      ),
    });
    const chosen = await post(servers.tokenEndpoint, bearer(shared, { client_id: 'twin-b.apps' }));
    expect(chosen.status).toBe(200);
    expect(await verified(chosen.body.access_token as string, ledger.identifier)).toMatchObject({
      sub: 'twin-b.apps',
    });
  });

  it('refuses a subject for another client than the one that authenticated', async () => {
    const res = await post(servers.tokenEndpoint, bearer(await saToken()), {
      authorization: basic('gateway.apps', GATEWAY_SECRET),
    });
    expect(res).toMatchObject({
      status: 400,
      body: invalidGrant(
        `assertion 'sub' '${sa('worker')}' is not a federated identity of client 'gateway.apps'`,
      ),
    });
    expect(failed).toEqual([
      {
        error: 'invalid_grant',
        grantType: JWT_BEARER,
        clientId: 'gateway.apps',
        detail: `assertion 'sub' '${sa('worker')}' is not a federated identity of client 'gateway.apps'`,
        failure: 'not_federated',
        namespace: 'apps',
      },
    ]);
  });

  it('still refuses wrong client credentials with invalid_client, although they are optional', async () => {
    const res = await post(servers.tokenEndpoint, bearer(await saToken()), {
      authorization: basic('gateway.apps', 'wrong'),
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });

  it('refuses a client whose grantTypes do not list the grant with unauthorized_client', async () => {
    expect(await post(servers.tokenEndpoint, bearer(await saToken('legacy')))).toMatchObject({
      status: 400,
      body: {
        error: 'unauthorized_client',
        error_description: `client 'legacy.apps' may not use grant_type '${JWT_BEARER}'`,
      },
    });
  });

  it.each<[string, () => Promise<string>, string]>([
    [
      'an expired token',
      () => saToken('worker', { exp: NOW_S - 120 }),
      "assertion has expired ('exp' is in the past)",
    ],
    ['a token without exp', () => saToken('worker', { exp: undefined }), "assertion 'exp' is missing"],
    [
      'a token valid only later',
      () => saToken('worker', { nbf: NOW_S + 600 }),
      "assertion is not valid yet ('nbf' is in the future)",
    ],
    [
      'a token issued in the future',
      () => saToken('worker', { iat: NOW_S + 600 }),
      "assertion 'iat' is in the future",
    ],
    [
      'a token for another audience',
      () => saToken('worker', { aud: ['https://kubernetes.default.svc'] }),
      "assertion 'aud' must be the issuer 'ISSUER' or the token endpoint URL",
    ],
    ['a token without aud', () => saToken('worker', { aud: undefined }), "assertion 'aud' is missing"],
    [
      'a token of an issuer no Connection has',
      () => saToken('worker', { iss: 'https://evil.example' }),
      "assertion 'iss' 'https://evil.example' is not the issuer of a trusted Connection",
    ],
    ['a token without iss', () => saToken('worker', { iss: undefined }), "assertion 'iss' is missing"],
    ['a token without sub', () => saToken('worker', { sub: undefined }), "assertion 'sub' is missing"],
    [
      'a token of the trusted issuer signed with another key',
      () => saToken('worker', {}, strangerKey),
      `assertion signature does not verify with the keys of issuer '${CLUSTER_ISSUER}'`,
    ],
    [
      'a token naming a key the issuer does not have',
      () => saToken('worker', {}, strangerKey, { kid: 'other' }),
      `assertion 'kid' 'other' is not a known key of issuer '${CLUSTER_ISSUER}': its keys are being refreshed, retry shortly`,
    ],
    [
      'a token of a subject no client federates',
      () => saToken('intruder'),
      `assertion 'sub' '${sa('intruder')}' is not a federated identity of any client`,
    ],
    [
      'an HMAC token',
      () =>
        new SignJWT({ iss: CLUSTER_ISSUER, sub: sa('worker'), aud: servers.issuer, exp: NOW_S + 60 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new Uint8Array(32)),
      "assertion 'alg' 'HS256' is not accepted for a federated identity: use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519",
    ],
    [
      'an unsigned token',
      async () => {
        const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return `${part({ alg: 'none' })}.${part({ iss: CLUSTER_ISSUER, sub: sa('worker'), aud: servers.issuer, exp: NOW_S + 60 })}.`;
      },
      "assertion 'alg' 'none' is not accepted for a federated identity: use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519",
    ],
    [
      'text that is not a JWT',
      async () => 'not-a-jwt',
      'assertion is not a JWT: expected a compact JWS of three base64url parts separated by dots',
    ],
    [
      'a JWT whose payload is not JSON',
      async () => 'eyJhbGciOiJSUzI1NiJ9.bm90LWpzb24.c2ln',
      'assertion is not a JWT: its payload is not base64url-encoded JSON',
    ],
  ])('refuses %s with invalid_grant (RFC 7523 section 3.1)', async (_, make, description) => {
    const res = await post(servers.tokenEndpoint, bearer(await make()));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(invalidGrant(description.replace('ISSUER', servers.issuer)));
  });

  it('refuses a client_id that does not federate the subject', async () => {
    const res = await post(servers.tokenEndpoint, bearer(await saToken(), { client_id: 'reporter.apps' }));
    expect(res.body).toEqual(
      invalidGrant(`assertion 'sub' '${sa('worker')}' is not a federated identity of client 'reporter.apps'`),
    );
  });

  it.each([
    ['no assertion', `grant_type=${encodeURIComponent(JWT_BEARER)}`, 'assertion is missing'],
    ['an empty assertion', `grant_type=${encodeURIComponent(JWT_BEARER)}&assertion=`, 'assertion is missing'],
    [
      'two assertions',
      `grant_type=${encodeURIComponent(JWT_BEARER)}&assertion=a.b.c&assertion=d.e.f`,
      "parameter 'assertion' is included more than once",
    ],
    [
      'two grant types',
      `grant_type=${encodeURIComponent(JWT_BEARER)}&grant_type=client_credentials&assertion=a.b.c`,
      "parameter 'grant_type' is included more than once",
    ],
  ])('refuses %s with invalid_request', async (_, body, description) => {
    const res = await post(servers.tokenEndpoint, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(invalidRequest(description));
  });

  it('keeps requiring client authentication for client_credentials', async () => {
    const res = await post(
      servers.tokenEndpoint,
      form({ grant_type: 'client_credentials', assertion: await saToken() }),
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});

describe('grant_type=urn:ietf:params:oauth:grant-type:token-exchange', () => {
  it('exchanges a ServiceAccount token with openid-client (genericGrantRequest), answering per RFC 8693 section 2.2.1', async () => {
    const config = await discover('worker.apps');
    const tokens = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: await saToken(),
      subject_token_type: JWT_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      audience: payments.identifier,
      scope: 'payments:read',
    });
    expect(tokens).toMatchObject({
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'bearer',
      expires_in: payments.lifetimeSeconds,
      scope: 'payments:read',
    });
    expect(await verified(tokens.access_token)).toMatchObject({
      sub: 'worker.apps',
      client_id: 'worker.apps',
      scope: 'payments:read',
    });
    expect(issued.map((e) => [e.clientId, e.grantType])).toEqual([['worker.apps', TOKEN_EXCHANGE]]);
  });

  it('answers with exactly the RFC 8693 members, without client authentication', async () => {
    const res = await post(servers.tokenEndpoint, exchange(await saToken()));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: payments.lifetimeSeconds,
      scope: 'payments:read payments:write',
    });
  });

  it.each(['urn:ietf:params:oauth:token-type:id_token', ACCESS_TOKEN_TYPE])(
    'accepts a JWT of a Connection issuer sent as subject_token_type %s',
    async (type) => {
      const res = await post(servers.tokenEndpoint, exchange(await ciToken(), { subject_token_type: type }));
      expect(res.status).toBe(200);
      expect((await verified(res.body.access_token as string, ledger.identifier)).sub).toBe('deployer.ci');
    },
  );

  it('lets an authenticated client exchange a subject it federates itself', async () => {
    const jwt = await saToken('reporter');
    const res = await post(
      servers.tokenEndpoint,
      exchange(jwt, {
        client_id: 'reporter.apps',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: jwt,
        resource: ledger.identifier,
      }),
    );
    expect(res.status).toBe(200);
    expect((await verified(res.body.access_token as string, ledger.identifier)).sub).toBe('reporter.apps');
  });

  it('refuses an authenticated client exchanging the subject of another client', async () => {
    const res = await post(servers.tokenEndpoint, exchange(await saToken()), {
      authorization: basic('gateway.apps', GATEWAY_SECRET),
    });
    expect(res).toMatchObject({
      status: 400,
      body: invalidRequest(
        `subject_token 'sub' '${sa('worker')}' is not a federated identity of client 'gateway.apps'`,
      ),
    });
  });

  it('refuses the subject of several clients without client_id', async () => {
    const res = await post(servers.tokenEndpoint, exchange(await saToken('shared')));
    expect(res.body).toEqual(
      invalidRequest(
        `client_id is required: subject_token 'sub' '${sa('shared')}' of issuer '${CLUSTER_ISSUER}' is a federated identity of several clients`,
      ),
    );
  });

  it('refuses a client whose grantTypes do not list token exchange with unauthorized_client', async () => {
    const res = await post(servers.tokenEndpoint, exchange(await saToken('legacy')));
    expect(res.body).toEqual({
      error: 'unauthorized_client',
      error_description: `client 'legacy.apps' may not use grant_type '${TOKEN_EXCHANGE}'`,
    });
  });

  it('refuses an audience the client is not granted with invalid_target (RFC 8693 section 2.2.2)', async () => {
    const res = await post(servers.tokenEndpoint, exchange(await saToken(), { audience: ledger.identifier }));
    expect(res.body).toEqual({
      error: 'invalid_target',
      error_description: `audience '${ledger.identifier}' is unknown or not granted to this client`,
    });
  });

  it.each<[string, () => Promise<Record<string, string>>, string]>([
    [
      'no subject_token',
      async () => ({ grant_type: TOKEN_EXCHANGE, subject_token_type: JWT_TYPE }),
      'subject_token is missing',
    ],
    [
      'no subject_token_type',
      async () => ({ grant_type: TOKEN_EXCHANGE, subject_token: await saToken() }),
      `subject_token_type is missing: send ${JWT_TYPE}`,
    ],
    [
      'a SAML subject_token_type',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:saml2',
      }),
      `subject_token_type 'urn:ietf:params:oauth:token-type:saml2' is not supported: send one of ${JWT_TYPE}, urn:ietf:params:oauth:token-type:id_token, ${ACCESS_TOKEN_TYPE}`,
    ],
    [
      'an actor_token',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken(),
        subject_token_type: JWT_TYPE,
        actor_token: await saToken('reporter'),
        actor_token_type: JWT_TYPE,
      }),
      'actor_token is not supported: this server issues tokens for the subject itself, not delegated ones; omit actor_token and actor_token_type',
    ],
    [
      'an actor_token_type without actor_token',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken(),
        subject_token_type: JWT_TYPE,
        actor_token_type: JWT_TYPE,
      }),
      'actor_token is not supported: this server issues tokens for the subject itself, not delegated ones; omit actor_token and actor_token_type',
    ],
    [
      'a requested_token_type of refresh_token',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken(),
        subject_token_type: JWT_TYPE,
        requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      }),
      `requested_token_type 'urn:ietf:params:oauth:token-type:refresh_token' is not supported: omit it or send ${ACCESS_TOKEN_TYPE}`,
    ],
    [
      'an expired subject_token',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken('worker', { exp: NOW_S - 120 }),
        subject_token_type: JWT_TYPE,
      }),
      "subject_token has expired ('exp' is in the past)",
    ],
    [
      'a subject_token of a foreign issuer',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken('worker', { iss: 'https://evil.example' }),
        subject_token_type: JWT_TYPE,
      }),
      "subject_token 'iss' 'https://evil.example' is not the issuer of a trusted Connection",
    ],
    [
      'a subject_token for another audience',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken('worker', { aud: 'https://payments.internal' }),
        subject_token_type: ACCESS_TOKEN_TYPE,
      }),
      "subject_token 'aud' must be the issuer 'ISSUER' or the token endpoint URL",
    ],
    [
      'a subject_token signed with another key',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken('worker', {}, strangerKey),
        subject_token_type: JWT_TYPE,
      }),
      `subject_token signature does not verify with the keys of issuer '${CLUSTER_ISSUER}'`,
    ],
    [
      'a subject_token of an unknown subject',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await saToken('intruder'),
        subject_token_type: JWT_TYPE,
      }),
      `subject_token 'sub' '${sa('intruder')}' is not a federated identity of any client`,
    ],
    [
      'a subject_token that is not a JWT',
      async () => ({
        grant_type: TOKEN_EXCHANGE,
        subject_token: 'opaque-token',
        subject_token_type: ACCESS_TOKEN_TYPE,
      }),
      'subject_token is not a JWT: expected a compact JWS of three base64url parts separated by dots',
    ],
  ])('refuses %s with invalid_request (RFC 8693 section 2.2.2)', async (_, params, description) => {
    const res = await post(servers.tokenEndpoint, form(await params()));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(invalidRequest(description.replace('ISSUER', servers.issuer)));
  });

  it('refuses a repeated subject_token', async () => {
    const jwt = await saToken();
    const res = await post(servers.tokenEndpoint, `${exchange(jwt)}&subject_token=${jwt}`);
    expect(res.body).toEqual(invalidRequest("parameter 'subject_token' is included more than once"));
  });

  it('surfaces a refusal to openid-client as its error', async () => {
    const config = await discover('worker.apps');
    await expect(
      oidc.genericGrantRequest(config, TOKEN_EXCHANGE, {
        subject_token: await saToken('worker', { exp: NOW_S - 120 }),
        subject_token_type: JWT_TYPE,
      }),
    ).rejects.toMatchObject({
      error: 'invalid_request',
      error_description: "subject_token has expired ('exp' is in the past)",
    });
  });
});

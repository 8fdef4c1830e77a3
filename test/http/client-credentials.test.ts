import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NOW_S,
  NOW_MS,
  SECRETS,
  audit,
  basic,
  decodePart,
  form,
  ledger,
  payments,
  post,
  startHarness,
  type Harness,
} from './harness.ts';

const run = promisify(execFile);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Verifies an access token the way a resource server would: remote JWKS, issuer, audience, typ. */
async function verifyAsResourceServer(token: string, audience: string, algorithm: string) {
  const jwks = createRemoteJWKSet(new URL(h.servers.jwksUri));
  return jwtVerify(token, jwks, {
    issuer: h.servers.issuer,
    audience,
    typ: 'at+jwt',
    algorithms: [algorithm],
    currentDate: new Date(NOW_MS),
  });
}

// RFC 8414 metadata location: Latchkey serves no OpenID Connect discovery document yet.
async function discover(clientId: string, auth: oidc.ClientAuth) {
  return oidc.discovery(new URL(h.servers.issuer), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

describe('grant_type=client_credentials with openid-client', () => {
  it('issues a token to a client_secret_basic client that jose verifies with the remote JWKS (RS256)', async () => {
    const clientId = 'billing-worker.billing';
    const config = await discover(clientId, oidc.ClientSecretBasic(SECRETS[clientId]));
    const tokens = await oidc.clientCredentialsGrant(config, { audience: payments.identifier });

    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(300);
    expect(tokens.scope).toBe('payments:read payments:write');

    const { payload, protectedHeader } = await verifyAsResourceServer(
      tokens.access_token,
      payments.identifier,
      'RS256',
    );
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: h.keys.active.get('RS256')?.kid });
    expect(payload).toEqual({
      iss: h.servers.issuer,
      sub: clientId,
      aud: payments.identifier,
      client_id: clientId,
      scope: 'payments:read payments:write',
      iat: NOW_S,
      exp: NOW_S + payments.lifetimeSeconds,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(payments.lifetimeSeconds);
  });

  it('issues a token to a client_secret_post client whose secret needs form-encoding (ES256)', async () => {
    const clientId = 'ledger-sync.billing';
    const config = await discover(clientId, oidc.ClientSecretPost(SECRETS[clientId]));
    const tokens = await oidc.clientCredentialsGrant(config);

    expect(tokens.expires_in).toBe(600);
    expect(tokens.scope).toBe('ledger:read');
    const { payload, protectedHeader } = await verifyAsResourceServer(
      tokens.access_token,
      ledger.identifier,
      'ES256',
    );
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: h.keys.active.get('ES256')?.kid });
    expect(payload).toEqual({
      iss: h.servers.issuer,
      sub: clientId,
      aud: ledger.identifier,
      client_id: clientId,
      scope: 'ledger:read',
      iat: NOW_S,
      exp: NOW_S + 600,
      jti: expect.any(String),
    });
  });

  it('accepts the secret of a client_secret_post client over HTTP Basic, and the reverse', async () => {
    const post1 = await discover(
      'ledger-sync.billing',
      oidc.ClientSecretBasic(SECRETS['ledger-sync.billing']),
    );
    await expect(oidc.clientCredentialsGrant(post1)).resolves.toMatchObject({ scope: 'ledger:read' });
    const basic1 = await discover(
      'billing-worker.billing',
      oidc.ClientSecretPost(SECRETS['billing-worker.billing']),
    );
    await expect(oidc.clientCredentialsGrant(basic1)).resolves.toMatchObject({ expires_in: 300 });
  });

  it('signs EdDSA tokens for an EdDSA API', async () => {
    const clientId = 'auditor.security';
    const config = await discover(clientId, oidc.ClientSecretBasic(SECRETS[clientId]));
    const tokens = await oidc.clientCredentialsGrant(config, { resource: audit.identifier });

    const { payload, protectedHeader } = await verifyAsResourceServer(
      tokens.access_token,
      audit.identifier,
      'EdDSA',
    );
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: h.keys.active.get('EdDSA')?.kid });
    expect(payload).toMatchObject({
      aud: audit.identifier,
      scope: 'audit:read',
      iat: NOW_S,
      exp: NOW_S + 120,
    });
  });

  it('gives a different jti to every token', async () => {
    const config = await discover('auditor.security', oidc.ClientSecretBasic(SECRETS['auditor.security']));
    const tokens = await Promise.all(Array.from({ length: 20 }, () => oidc.clientCredentialsGrant(config)));
    const jtis = new Set(tokens.map((t) => decodePart(t.access_token, 1).jti));
    expect(jtis.size).toBe(20);
  });
});

describe('grant_type=client_credentials choices', () => {
  const endpoint = () => h.servers.tokenEndpoint;
  const credentials = (id: keyof typeof SECRETS) => ({ authorization: basic(id, SECRETS[id]) });

  it('returns exactly the requested scopes, in the API declaration order', async () => {
    const res = await post(
      endpoint(),
      form({ grant_type: 'client_credentials', scope: 'payments:write payments:read payments:write' }),
      credentials('billing-worker.billing'),
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('payments:read payments:write');
    expect(decodePart(res.body.access_token as string, 1).scope).toBe('payments:read payments:write');
  });

  it('picks the API named by audience among several', async () => {
    const res = await post(
      endpoint(),
      form({ grant_type: 'client_credentials', audience: ledger.identifier }),
      credentials('multi.platform'),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ expires_in: 600, scope: 'ledger:read ledger:write' });
    expect(decodePart(res.body.access_token as string, 0).alg).toBe('ES256');
  });

  it('accepts audience and resource together when they agree, and a repeated identical resource', async () => {
    const body = `grant_type=client_credentials&audience=${encodeURIComponent(audit.identifier)}&resource=${encodeURIComponent(audit.identifier)}&resource=${encodeURIComponent(audit.identifier)}`;
    const res = await post(endpoint(), body, credentials('multi.platform'));
    expect(res.status).toBe(200);
    expect(decodePart(res.body.access_token as string, 1).aud).toBe(audit.identifier);
  });

  it('accepts every secret of a client whose secret is rotating', async () => {
    for (const secret of ['old-secret-1Qa9', SECRETS['rotating.platform']]) {
      const res = await post(endpoint(), 'grant_type=client_credentials', {
        authorization: basic('rotating.platform', secret),
      });
      expect(res.status).toBe(200);
    }
  });

  it('omits scope from the token and the response when the grant has no scopes', async () => {
    const res = await post(endpoint(), 'grant_type=client_credentials', credentials('bare.platform'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(decodePart(res.body.access_token as string, 1)).not.toHaveProperty('scope');
  });

  it('treats parameters sent without a value as omitted (RFC 6749 section 3.2), except scope', async () => {
    const res = await post(
      endpoint(),
      'grant_type=client_credentials&audience=&organization=&resource=',
      credentials('billing-worker.billing'),
    );
    expect(res.status).toBe(200);
  });

  it('ignores unknown parameters, including __proto__ and constructor', async () => {
    const res = await post(
      endpoint(),
      'grant_type=client_credentials&__proto__=x&constructor=y&toString=z&hasOwnProperty=1&nonsense=1',
      credentials('billing-worker.billing'),
    );
    expect(res.status).toBe(200);
    expect(decodePart(res.body.access_token as string, 1)).not.toHaveProperty('nonsense');
  });

  it('accepts charset=utf-8 and a lowercase Basic scheme', async () => {
    const res = await post(endpoint(), 'grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']).replace(
        'Basic',
        'basic',
      ),
    });
    expect(res.status).toBe(200);
  });
});

describe('grant_type=client_credentials with organization', () => {
  const endpoint = () => h.servers.tokenEndpoint;
  const tenant = { authorization: basic('tenant-app.saas', SECRETS['tenant-app.saas']) };

  it('adds org_id and org_name and uses the permissions the client has in that organization', async () => {
    const res = await post(
      endpoint(),
      form({ grant_type: 'client_credentials', organization: 'org_acme', audience: payments.identifier }),
      tenant,
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('payments:read payments:refund');
    const { payload } = await verifyAsResourceServer(
      res.body.access_token as string,
      payments.identifier,
      'RS256',
    );
    expect(payload).toMatchObject({
      org_id: 'org_acme',
      org_name: 'acme',
      scope: 'payments:read payments:refund',
    });
  });

  it('finds the organization by its name as well as by its id', async () => {
    const res = await post(
      endpoint(),
      form({ grant_type: 'client_credentials', organization: 'globex' }),
      tenant,
    );
    expect(res.status).toBe(200);
    expect(decodePart(res.body.access_token as string, 1)).toMatchObject({
      org_id: 'org_globex',
      org_name: 'globex',
      scope: 'payments:read',
    });
  });

  it('issues a token without org claims when an allow client names no organization', async () => {
    const res = await post(endpoint(), 'grant_type=client_credentials', tenant);
    expect(res.status).toBe(200);
    const claims = decodePart(res.body.access_token as string, 1);
    expect(claims).not.toHaveProperty('org_id');
    expect(claims).not.toHaveProperty('org_name');
  });

  it('serves a client that requires an organization when it names one', async () => {
    const res = await post(endpoint(), form({ grant_type: 'client_credentials', organization: 'acme' }), {
      authorization: basic('tenant-only.saas', SECRETS['tenant-only.saas']),
    });
    expect(res.status).toBe(200);
    expect(decodePart(res.body.access_token as string, 1)).toMatchObject({
      aud: ledger.identifier,
      org_id: 'org_acme',
    });
  });
});

describe('the curl recipe', () => {
  it('works with client_id and client_secret in the body for a client_secret_basic client', async () => {
    const clientId = 'billing-worker.billing';
    const args = [
      '-s',
      '-i',
      '-d',
      `client_id=${clientId}`,
      '-d',
      `client_secret=${SECRETS[clientId]}`,
      '-d',
      'grant_type=client_credentials',
      h.servers.tokenEndpoint,
    ];
    const { stdout } = await run('curl', args);
    const [head = '', body = ''] = stdout.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head).toMatch(/^cache-control: no-store$/im);
    expect(head).toMatch(/^pragma: no-cache$/im);
    expect(head).toMatch(/^content-type: application\/json; charset=utf-8$/im);
    const json = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['access_token', 'token_type', 'expires_in', 'scope']);
    expect(json).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'payments:read payments:write',
    });
  });
});

describe('token events', () => {
  it('emits token.issued with the client, grant type, audience, algorithm and organization', async () => {
    const before = h.seen['token.issued'].length;
    await post(
      h.servers.tokenEndpoint,
      form({ grant_type: 'client_credentials', organization: 'org_acme', audience: audit.identifier }),
      {
        authorization: basic('tenant-app.saas', SECRETS['tenant-app.saas']),
      },
    );
    expect(h.seen['token.issued'].slice(before)).toEqual([
      {
        clientId: 'tenant-app.saas',
        grantType: 'client_credentials',
        audience: audit.identifier,
        algorithm: 'EdDSA',
        organizationId: 'org_acme',
      },
    ]);
  });

  it('emits token.failed with a private detail and never the secret', async () => {
    const before = h.seen['token.failed'].length;
    await post(h.servers.tokenEndpoint, 'grant_type=client_credentials', {
      authorization: basic('billing-worker.billing', 'guessed-secret'),
    });
    const failed = h.seen['token.failed'].slice(before);
    expect(failed).toEqual([
      {
        error: 'invalid_client',
        grantType: 'client_credentials',
        clientId: undefined,
        detail: "wrong client_secret for 'billing-worker.billing'",
        failure: 'bad_secret',
        presentedClientId: 'billing-worker.billing',
        namespace: 'billing',
      },
    ]);
    expect(JSON.stringify(failed)).not.toContain('guessed-secret');
  });
});

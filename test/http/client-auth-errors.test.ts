/**
 * Issue 9, item 8: a failed client authentication reads the same whether or not the client exists and
 * whatever it is registered with, so error bodies do not tell which client ids exist nor how they
 * authenticate. What happened goes to the private detail of the `token.failed` event.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import { NOW_MS, NOW_S, form, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CI_ISSUER = 'https://ci.example.com';
const SECRET = 'secret-basic-8Hn2';
const HMAC_SECRET = randomBytes(32).toString('base64url');
const FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };

let servers: RunningServers;
let signerKey: CryptoKey;
let strangerKey: CryptoKey;
let ciKey: CryptoKey;
const failed: LatchkeyEvents['token.failed'][] = [];

beforeAll(async () => {
  const signer = await generateKeyPair('ES256', { extractable: true });
  const ci = await generateKeyPair('ES256', { extractable: true });
  signerKey = signer.privateKey;
  ciKey = ci.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  const key = async (publicKey: CryptoKey, kid: string) => {
    const parsed = parseClientKey({ ...(await exportJWK(publicKey)), kid });
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.key;
  };
  const read = [grant(payments, ['payments:read'])];
  const source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments],
      connections: [
        {
          namespace: 'ci',
          name: 'ci',
          type: 'oidc',
          issuer: CI_ISSUER,
          keys: [await key(ci.publicKey, 'ci-1')],
        },
      ],
      clients: [
        client({ clientId: 'basic.apps', secrets: [SECRET], grants: read }),
        {
          ...client({ clientId: 'signer.apps', authMethod: 'private_key_jwt', grants: read }),
          assertionKeys: { kind: 'jwks', keys: [await key(signer.publicKey, 'sig-1')] },
        },
        {
          ...client({ clientId: 'hmac.apps', authMethod: 'client_secret_jwt', grants: read }),
          assertionKeys: { kind: 'secret', keys: [createSecretKey(Buffer.from(HMAC_SECRET, 'utf8'))] },
        },
        client({
          clientId: 'deployer.ci',
          authMethod: 'private_key_jwt',
          grants: read,
          federatedIdentities: [{ connection: 'ci/ci', subject: 'repo:acme/app:ref:refs/heads/main' }],
        }),
      ],
    }),
  );
  const events = new EventBus();
  events.on('token.failed', (e) => failed.push(e));
  servers = await startServers({ source, port: 0, opsPort: 0, now: () => NOW_MS, events, ready: () => true });
});

afterAll(async () => {
  await servers.close();
});

const secretBody = (clientId: string, secret: string) =>
  form({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });

interface Signed {
  clientId: string;
  alg?: 'ES256' | 'HS256';
  key?: CryptoKey | Uint8Array;
  kid?: string;
}

async function assertionBody(s: Signed, extra: Record<string, string> = {}): Promise<string> {
  const jwt = await new SignJWT({ jti: randomBytes(12).toString('base64url') })
    .setProtectedHeader({ alg: s.alg ?? 'ES256', ...(s.kid === undefined ? {} : { kid: s.kid }) })
    .setIssuer(s.clientId)
    .setSubject(s.clientId)
    .setAudience(servers.tokenEndpoint)
    .setIssuedAt(NOW_S)
    .setExpirationTime(NOW_S + 60)
    .sign(s.key ?? signerKey);
  return form({
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: jwt,
    ...extra,
  });
}

/** A valid token of the CI issuer: what a workload of `deployer.ci` presents. */
async function ciTokenBody(clientId: string, sub = 'repo:acme/app:ref:refs/heads/main'): Promise<string> {
  const jwt = await new SignJWT({ sub, aud: servers.issuer, iat: NOW_S, exp: NOW_S + 300 })
    .setProtectedHeader({ alg: 'ES256', kid: 'ci-1' })
    .setIssuer(CI_ISSUER)
    .sign(ciKey);
  return form({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: jwt,
  });
}

const unsigned = (clientId: string) => {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { iss: clientId, sub: clientId, aud: servers.tokenEndpoint, exp: NOW_S + 60, jti: 'u1' };
  return form({
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: `${part({ alg: 'ES256', kid: 'sig-1' })}.${part(claims)}.${'A'.repeat(86)}`,
  });
};

const probes: [string, () => Promise<string>][] = [
  ['a secret of an unknown client', async () => secretBody('ghost.apps', SECRET)],
  ['a wrong secret of a client_secret_basic client', async () => secretBody('basic.apps', 'wrong')],
  ['a secret for a private_key_jwt client', async () => secretBody('signer.apps', SECRET)],
  ['the HMAC secret itself for a client_secret_jwt client', async () => secretBody('hmac.apps', HMAC_SECRET)],
  ['a secret for a client with federated identities only', async () => secretBody('deployer.ci', SECRET)],
  ['an assertion of an unknown client', async () => assertionBody({ clientId: 'ghost.apps' })],
  ['an assertion of a client_secret_basic client', async () => assertionBody({ clientId: 'basic.apps' })],
  ['an unsigned assertion of a private_key_jwt client', async () => unsigned('signer.apps')],
  ['an unsigned assertion of an unknown client', async () => unsigned('ghost.apps')],
  [
    'an assertion signed by a stranger under the kid of the client',
    async () => assertionBody({ clientId: 'signer.apps', key: strangerKey, kid: 'sig-1' }),
  ],
  [
    'an assertion naming a kid the client does not have',
    async () => assertionBody({ clientId: 'signer.apps', key: strangerKey, kid: 'nope' }),
  ],
  [
    'an HS256 assertion for a private_key_jwt client',
    async () => assertionBody({ clientId: 'signer.apps', alg: 'HS256', key: Buffer.from(HMAC_SECRET) }),
  ],
  [
    'an ES256 assertion for a client_secret_jwt client',
    async () => assertionBody({ clientId: 'hmac.apps', kid: 'sig-1' }),
  ],
  ['a federated token for another client', async () => ciTokenBody('signer.apps')],
  ['a federated token for a client_secret_basic client', async () => ciTokenBody('basic.apps')],
  ['a federated token for an unknown client', async () => ciTokenBody('ghost.apps')],
  [
    'a federated token of a subject the client does not federate',
    async () => ciTokenBody('deployer.ci', 'repo:acme/other:ref:refs/heads/main'),
  ],
];

describe('POST /oauth2/token: failed client authentication (issue 9, item 8)', () => {
  it.each(probes)('answers %s exactly as an unknown client', async (_, body) => {
    const res = await post(servers.tokenEndpoint, await body());
    expect(res.status).toBe(401);
    expect(res.body).toEqual(FAILED);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('answers alg none the same for an existing and an unknown client', async () => {
    const none = (clientId: string) => {
      const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const claims = { iss: clientId, sub: clientId, aud: servers.tokenEndpoint, exp: NOW_S + 60, jti: 'n' };
      return form({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: `${part({ alg: 'none' })}.${part(claims)}.`,
      });
    };
    const existing = await post(servers.tokenEndpoint, none('signer.apps'));
    const unknown = await post(servers.tokenEndpoint, none('ghost.apps'));
    expect(existing.body).toEqual(unknown.body);
    expect(existing.body).toEqual({
      error: 'invalid_client',
      error_description: "client_assertion 'alg' none is never accepted",
    });
  });

  it('keeps what happened in the private detail of the token.failed event', async () => {
    await post(servers.tokenEndpoint, secretBody('signer.apps', SECRET));
    expect(failed.at(-1)?.detail).toBe(
      "client 'signer.apps' is registered with token_endpoint_auth_method 'private_key_jwt': it sends a client_assertion (RFC 7523), not a client_secret",
    );
    await post(
      servers.tokenEndpoint,
      await assertionBody({ clientId: 'signer.apps', key: strangerKey, kid: 'nope' }),
    );
    expect(failed.at(-1)?.detail).toBe(
      "client 'signer.apps': client_assertion 'kid' 'nope' is not a key of this client",
    );
    await post(servers.tokenEndpoint, await ciTokenBody('signer.apps'));
    expect(failed.at(-1)?.detail).toBe(
      "client 'signer.apps' does not federate 'sub' 'repo:acme/app:ref:refs/heads/main' of issuer 'https://ci.example.com'",
    );
  });

  it('still issues tokens to each kind of client that authenticates', async () => {
    const ok = [
      await post(servers.tokenEndpoint, secretBody('basic.apps', SECRET)),
      await post(servers.tokenEndpoint, await assertionBody({ clientId: 'signer.apps', kid: 'sig-1' })),
      await post(
        servers.tokenEndpoint,
        await assertionBody({ clientId: 'hmac.apps', alg: 'HS256', key: Buffer.from(HMAC_SECRET) }),
      ),
      await post(servers.tokenEndpoint, await ciTokenBody('deployer.ci')),
    ];
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });
});

import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import type { CompiledConnection } from '../../src/store/snapshot.ts';
import { NOW_MS, NOW_S, form, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const WORKER = 'worker.apps';
const CLUSTER_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const SUBJECT = 'system:serviceaccount:apps:worker';

let servers: RunningServers;
const unknownKeys: LatchkeyEvents['issuer.unknownKey'][] = [];
let clusterKey: CryptoKey;
let strangerKey: CryptoKey;

beforeAll(async () => {
  const cluster = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256', { extractable: true });
  clusterKey = cluster.privateKey;
  strangerKey = stranger.privateKey;
  const parsed = parseClientKey({ ...(await exportJWK(cluster.publicKey)), kid: 'sa-1' });
  if (!parsed.ok) throw new Error(parsed.message);
  const connection: CompiledConnection = {
    namespace: 'latchkey',
    name: 'cluster',
    type: 'kubernetes',
    issuer: CLUSTER_ISSUER,
    keys: [parsed.key],
  };
  const source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments],
      connections: [connection],
      clients: [
        client({
          clientId: WORKER,
          authMethod: 'private_key_jwt',
          grants: [grant(payments, ['payments:read'])],
          federatedIdentities: [{ connection: 'latchkey/cluster', subject: SUBJECT }],
        }),
      ],
    }),
  );
  const events = new EventBus();
  events.on('issuer.unknownKey', (e) => unknownKeys.push(e));
  servers = await startServers({ source, port: 0, opsPort: 0, now: () => NOW_MS, events, ready: () => true });
});

afterAll(async () => {
  await servers.close();
});

/** A token shaped like a projected ServiceAccount token: one hour long, no jti. */
async function saToken(
  claims: Record<string, unknown> = {},
  key: CryptoKey = clusterKey,
  kid = 'sa-1',
): Promise<string> {
  return new SignJWT({
    iss: CLUSTER_ISSUER,
    sub: SUBJECT,
    aud: [servers.issuer],
    iat: NOW_S - 600,
    nbf: NOW_S - 600,
    exp: NOW_S + 3000,
    'kubernetes.io': { namespace: 'apps', serviceaccount: { name: 'worker' } },
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(key);
}

function body(jwt: string): string {
  return form({
    grant_type: 'client_credentials',
    client_id: WORKER,
    client_assertion_type: JWT_BEARER,
    client_assertion: jwt,
  });
}

describe('client_credentials with a federated ServiceAccount token as client_assertion', () => {
  it('issues a token to the OAuthClient for a token of its ServiceAccount, again and again', async () => {
    const jwt = await saToken();
    // A ServiceAccount token is reused until it rotates: no jti replay rejection.
    for (let i = 0; i < 2; i++) {
      const res = await post(servers.tokenEndpoint, body(jwt));
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('payments:read');
      const { payload } = await jwtVerify(
        res.body.access_token as string,
        createRemoteJWKSet(new URL(servers.jwksUri)),
        { issuer: servers.issuer, audience: payments.identifier, currentDate: new Date(NOW_MS) },
      );
      expect(payload).toMatchObject({ sub: WORKER, client_id: WORKER });
    }
  });

  it('accepts the token endpoint URL as audience too', async () => {
    const res = await post(servers.tokenEndpoint, body(await saToken({ aud: servers.tokenEndpoint })));
    expect(res.status).toBe(200);
  });

  it.each([
    [
      'a token of another ServiceAccount',
      { sub: 'system:serviceaccount:apps:intruder' },
      // Whether the client exists or federates something else is nobody's business (issue 9, item 8).
      'client authentication failed',
    ],
    [
      'a token for another audience',
      { aud: ['https://kubernetes.default.svc'] },
      "client_assertion 'aud' must be the issuer 'ISSUER' or the token endpoint URL",
    ],
    ['an expired token', { exp: NOW_S - 120 }, "client_assertion has expired ('exp' is in the past)"],
    ['a token without exp', { exp: undefined }, "client_assertion 'exp' is missing"],
    [
      'a token of an issuer no Connection has',
      { iss: 'https://evil.example' },
      "client_assertion 'iss' 'https://evil.example' is not the issuer of a trusted Connection",
    ],
  ])('refuses %s with invalid_client', async (_, claims, description) => {
    const res = await post(servers.tokenEndpoint, body(await saToken(claims)));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_client',
      error_description: description.replace('ISSUER', servers.issuer),
    });
  });

  it('refuses a token of the trusted issuer signed with a key that is not the issuer’s', async () => {
    const res = await post(servers.tokenEndpoint, body(await saToken({}, strangerKey)));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_client',
      error_description: `client_assertion signature does not verify with the keys of issuer '${CLUSTER_ISSUER}'`,
    });
  });

  it('refuses a token whose kid the issuer’s keys lack, and reports the kid so the issuer is checked early', async () => {
    unknownKeys.length = 0;
    const res = await post(servers.tokenEndpoint, body(await saToken({}, strangerKey, 'sa-2')));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_client',
      error_description: `client_assertion 'kid' 'sa-2' is not a known key of issuer '${CLUSTER_ISSUER}': its keys are being refreshed, retry shortly`,
    });
    expect(unknownKeys).toEqual([{ issuer: CLUSTER_ISSUER, kid: 'sa-2' }]);
  });

  it('reports nothing for a known kid, whatever the signature, nor for a token of an untrusted issuer', async () => {
    unknownKeys.length = 0;
    await post(servers.tokenEndpoint, body(await saToken({}, strangerKey)));
    await post(servers.tokenEndpoint, body(await saToken({ iss: 'https://evil.example' }, strangerKey, 'x')));
    expect(unknownKeys).toEqual([]);
  });
});

/**
 * Issue 9, item 7: a namespace that federates a subject another namespace federated first cannot break that
 * namespace's requests without `client_id`. The clients are in the snapshot in the order the compiler keeps
 * for claims (oldest first), as it would put them.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import type { CompiledConnection } from '../../src/store/snapshot.ts';
import { NOW_MS, NOW_S, decodePart, form, ledger, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CI_ISSUER = 'https://ci.example.com';
const SUBJECT = 'repo:acme/app:ref:refs/heads/main';
const OTHER_SUBJECT = 'repo:acme/tools:ref:refs/heads/main';

let servers: RunningServers;
let ciKey: CryptoKey;

beforeAll(async () => {
  const ci = await generateKeyPair('ES256', { extractable: true });
  ciKey = ci.privateKey;
  const parsed = parseClientKey({ ...(await exportJWK(ci.publicKey)), kid: 'ci-1' });
  if (!parsed.ok) throw new Error(parsed.message);
  // Each team has its own Connection on the same issuer.
  const connection = (namespace: string): CompiledConnection => ({
    namespace,
    name: 'ci',
    type: 'oidc',
    issuer: CI_ISSUER,
    keys: [parsed.key],
  });
  const federating = (clientId: string, subject: string, api = payments) =>
    client({
      clientId,
      authMethod: 'private_key_jwt',
      grantTypes: [JWT_BEARER],
      grants: [grant(api)],
      federatedIdentities: [{ connection: `${clientId.split('.')[1] ?? ''}/ci`, subject }],
    });
  const source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments, ledger],
      connections: [connection('team-a'), connection('team-b')],
      // Oldest first: team-a federated both subjects before team-b came.
      clients: [
        federating('deployer.team-a', SUBJECT),
        federating('tools.team-a', OTHER_SUBJECT),
        federating('tools-twin.team-a', OTHER_SUBJECT),
        federating('copycat.team-b', SUBJECT, ledger),
        federating('copycat-tools.team-b', OTHER_SUBJECT, ledger),
      ],
    }),
  );
  servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events: new EventBus(),
    ready: () => true,
  });
});

afterAll(async () => {
  await servers.close();
});

function ciToken(sub: string): Promise<string> {
  return new SignJWT({ sub, aud: servers.issuer, iat: NOW_S, exp: NOW_S + 300 })
    .setProtectedHeader({ alg: 'ES256', kid: 'ci-1' })
    .setIssuer(CI_ISSUER)
    .sign(ciKey);
}

describe('grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer across namespaces', () => {
  it('gives the subject to the namespace that federated it first, whatever a newer namespace declares', async () => {
    const res = await post(
      servers.tokenEndpoint,
      form({ grant_type: JWT_BEARER, assertion: await ciToken(SUBJECT) }),
    );
    expect(res.status).toBe(200);
    expect(decodePart(String(res.body.access_token), 1)).toMatchObject({
      client_id: 'deployer.team-a',
      aud: payments.identifier,
    });
  });

  it("still lets the newer namespace's client be chosen by client_id", async () => {
    const res = await post(
      servers.tokenEndpoint,
      form({ grant_type: JWT_BEARER, assertion: await ciToken(SUBJECT), client_id: 'copycat.team-b' }),
    );
    expect(res.status).toBe(200);
    expect(decodePart(String(res.body.access_token), 1)).toMatchObject({
      client_id: 'copycat.team-b',
      aud: ledger.identifier,
    });
  });

  it('asks for client_id when the first namespace itself federates the subject in several clients', async () => {
    const res = await post(
      servers.tokenEndpoint,
      form({ grant_type: JWT_BEARER, assertion: await ciToken(OTHER_SUBJECT) }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: `client_id is required: assertion 'sub' '${OTHER_SUBJECT}' of issuer '${CI_ISSUER}' is a federated identity of several clients`,
    });
  });
});

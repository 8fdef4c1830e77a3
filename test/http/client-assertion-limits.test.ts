/**
 * Issue 9, items 1 and 13: the replay cache gives each client a share of its own, so one client flooding it
 * cannot lock other clients out; and how long an assertion may live is set per client.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { MemoryReplayCache } from '../../src/runtime/replay-cache.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import type { CompiledClient } from '../../src/store/snapshot.ts';
import { NOW_MS, NOW_S, form, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SHARE = 3;

let servers: RunningServers;
let key: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  const parsed = parseClientKey({ ...(await exportJWK(pair.publicKey)), kid: 'k1' });
  if (!parsed.ok) throw new Error(parsed.message);
  const signer = (clientId: string, extra: Partial<CompiledClient> = {}): CompiledClient => ({
    ...client({ clientId, authMethod: 'private_key_jwt', grants: [grant(payments, ['payments:read'])] }),
    assertionKeys: { kind: 'jwks', keys: [parsed.key] },
    ...extra,
  });
  const source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments],
      clients: [
        signer('flooder.team-x'),
        signer('victim.team-y'),
        signer('authlib.team-z', { assertionMaxLifetimeSeconds: 3600 }),
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
    replay: new MemoryReplayCache({ perClientLimit: SHARE }),
  });
});

afterAll(async () => {
  await servers.close();
});

async function tokenRequest(clientId: string, lifetimeSeconds = 60) {
  const jwt = await new SignJWT({ jti: randomBytes(12).toString('base64url') })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(servers.tokenEndpoint)
    .setIssuedAt(NOW_S)
    .setExpirationTime(NOW_S + lifetimeSeconds)
    .sign(key);
  return post(
    servers.tokenEndpoint,
    form({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
  );
}

describe('client_assertion replay shares (issue 9, item 1)', () => {
  it("lets another client's private_key_jwt succeed while one client's share is full", async () => {
    for (let i = 0; i < SHARE; i++) expect((await tokenRequest('flooder.team-x')).status).toBe(200);
    const refused = await tokenRequest('flooder.team-x');
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      error: 'invalid_client',
      error_description: 'client_assertion cannot be checked for replay now: retry shortly',
    });
    const other = await tokenRequest('victim.team-y');
    expect(other.status).toBe(200);
    expect(other.body.scope).toBe('payments:read');
  });
});

describe('client_assertion lifetime (issue 9, item 13)', () => {
  it('refuses an assertion living longer than the default 300 s and says what to set', async () => {
    const res = await tokenRequest('victim.team-y', 3600);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_client',
      error_description:
        "client_assertion 'exp' is more than 300 seconds ahead: sign assertions that expire sooner, or raise the OAuthClient's spec.clientAssertion.maxLifetime (at most 1h)",
    });
  });

  it('accepts the 1-hour assertions authlib signs by default from a client whose maxLifetime is 1h', async () => {
    const res = await tokenRequest('authlib.team-z', 3600);
    expect(res.status).toBe(200);
  });

  it("refuses, past the client's own limit, naming that limit", async () => {
    const res = await tokenRequest('authlib.team-z', 3600 + 120);
    expect(res.status).toBe(401);
    expect(res.body.error_description).toBe(
      "client_assertion 'exp' is more than 3600 seconds ahead: sign assertions that expire sooner, or raise the OAuthClient's spec.clientAssertion.maxLifetime (at most 1h)",
    );
  });

  it('answers an unknown client with a too long assertion as any unknown client, not with the limit', async () => {
    const res = await tokenRequest('ghost.nowhere', 3600);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });
});

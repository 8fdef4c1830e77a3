/**
 * Issue 9, items 1 and 13: the replay cache has a global capacity shared fairly among namespaces and their
 * clients, so one tenant flooding it cannot lock other tenants out; and how long an assertion may live is set
 * per client.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import type { CompiledClient } from '../../src/store/snapshot.ts';
import { NOW_MS, NOW_S, form, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CAPACITY = 20;
const PER_CLIENT = 6;
const FLOODERS = ['flood-a.team-x', 'flood-b.team-x', 'flood-c.team-x', 'flood-d.team-x', 'flood-e.team-x'];
const failed: LatchkeyEvents['token.failed'][] = [];

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
        ...FLOODERS.map((id) => signer(id)),
        signer('victim.team-y'),
        signer('victim-2.team-y'),
        signer('authlib.team-z', { assertionMaxLifetimeSeconds: 3600 }),
      ],
    }),
  );
  const events = new EventBus();
  events.on('token.failed', (e) => failed.push(e));
  servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events,
    ready: () => true,
    replayLimits: { capacity: CAPACITY, perClientCeiling: PER_CLIENT },
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

const FULL = {
  error: 'invalid_client',
  error_description: 'client_assertion cannot be checked for replay now: retry shortly',
};

describe('client_assertion replay bounds (issue 9, item 1)', () => {
  it("keeps another tenant's private_key_jwt working while one tenant floods the cache with many clients", async () => {
    expect((await tokenRequest('victim.team-y')).status).toBe(200);
    // team-x fills the cache, client after client, as far as the per-client ceiling lets each.
    for (const id of FLOODERS.slice(0, 4)) {
      for (let i = 0; i < PER_CLIENT; i++) await tokenRequest(id);
    }
    const ceiling = await tokenRequest('flood-a.team-x');
    expect(ceiling.status).toBe(401);
    expect(ceiling.body).toEqual(FULL);
    expect(failed.at(-1)?.detail).toBe(
      "client 'flood-a.team-x' holds as many unexpired assertions as one client may (--replay-per-client)",
    );
    // At capacity, team-x is over its share (a third of the cache: team-y and team-z hold entries too): even
    // a new client of it is refused, and it cannot take the room left for the others.
    const fresh = await tokenRequest('flood-e.team-x');
    expect(fresh.body).toEqual(FULL);
    expect(failed.at(-1)?.detail).toBe(
      "the replay cache is at capacity (--replay-capacity) and namespace 'team-x' holds more than its fair share",
    );
    // team-y is below its share: it keeps authenticating, up to the hard ceiling (1.25 times the capacity).
    for (let i = 0; i < 5; i++) {
      const other = await tokenRequest('victim.team-y');
      expect(other.status, `request ${i}`).toBe(200);
      expect(other.body.scope).toBe('payments:read');
      expect((await tokenRequest('flood-e.team-x')).status).toBe(401);
    }
    const hard = await tokenRequest('victim-2.team-y');
    expect(hard.body).toEqual(FULL);
    expect(failed.at(-1)?.detail).toBe(
      'the replay cache is at its hard ceiling (1.25 times --replay-capacity)',
    );
  });
});

/**
 * Two token servers, each with its own PostgresState, on one real PostgreSQL (issue 11): what one replica
 * accepted or revoked holds at the other; and with the database stopped under load, client_credentials keeps
 * issuing while what needs state answers 503 temporarily_unavailable with Retry-After (never a 500), readiness
 * fails, and both recover by themselves once the database is back. No upper time bounds: each wait is for a
 * condition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { openPostgresState, type PostgresState } from '../../src/state/postgres/postgres-state.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import { NOW_MS, NOW_S, decodePart, payments, testKeys } from '../http/harness.ts';
import { client, FixedSource, grant, snapshot } from '../http/world.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';
import {
  assertionKey,
  clientCredentials as clientCredentialsAt,
  expectTemporarilyUnavailable,
  postAssertion,
  readiness,
  signAssertion,
  tokenOperation as tokenOperationAt,
  type AssertionKey,
} from '../support/state-requests.ts';

const ISSUER = 'http://latchkey.test';
const SIGNER = 'signer.platform';
const BASIC = { clientId: 'basic.platform', secret: 'basic-secret-4Rt7' };
const TIMEOUTS = { connectTimeoutMs: 1_000, statementTimeoutMs: 500, idleTimeoutMs: 30_000 };

interface Replica {
  servers: RunningServers;
  state: PostgresState;
  events: {
    unavailable: LatchkeyEvents['state.unavailable'][];
    recovered: LatchkeyEvents['state.recovered'][];
  };
  /** Where its endpoints are: its issuer's path on 127.0.0.1. */
  base: string;
}

let db: RunningPostgres;
let key: AssertionKey;
let replicas: Replica[] = [];
let jtiCounter = 0;

async function startReplica(source: FixedSource): Promise<Replica> {
  const state = await openPostgresState({ url: db.url, timeouts: TIMEOUTS, maxConnections: 4 });
  const bus = new EventBus();
  const events: Replica['events'] = { unavailable: [], recovered: [] };
  bus.on('state.unavailable', (e) => events.unavailable.push(e));
  bus.on('state.recovered', (e) => events.recovered.push(e));
  const servers = await startServers({
    source,
    issuer: ISSUER,
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events: bus,
    ready: () => true,
    state,
    statePingIntervalMs: 200,
  });
  return { servers, state, events, base: `http://127.0.0.1:${servers.port}` };
}

beforeAll(async () => {
  db = await startPostgres();
  key = await assertionKey('ec-1');
  const parsed = parseClientKey(key.jwk);
  if (!parsed.ok) throw new Error(parsed.message);
  const read = [grant(payments, ['payments:read'])];
  const source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments],
      clients: [
        {
          ...client({ clientId: SIGNER, authMethod: 'private_key_jwt', grants: read }),
          assertionKeys: { kind: 'jwks', keys: [parsed.key] },
        },
        client({ clientId: BASIC.clientId, secrets: [BASIC.secret], grants: read }),
      ],
    }),
  );
  replicas = [await startReplica(source), await startReplica(source)];
});

afterAll(async () => {
  for (const r of replicas) {
    await r.servers.close();
    await r.state.close();
  }
  await db?.stop();
});

function assertion(jti = `jti-${++jtiCounter}`): Promise<string> {
  return signAssertion(key, { clientId: SIGNER, audience: ISSUER, jti, nowS: NOW_S });
}

function withAssertion(replica: Replica, signed: string) {
  return postAssertion(`${replica.base}/oauth2/token`, signed);
}

function clientCredentials(replica: Replica) {
  return clientCredentialsAt(`${replica.base}/oauth2/token`, BASIC);
}

function tokenOperation(replica: Replica, path: 'introspect' | 'revoke', token: string) {
  return tokenOperationAt(replica.base, path, token, BASIC);
}

async function readyz(replica: Replica, path = '/readyz/state'): Promise<number> {
  return (await readiness(replica.servers.opsPort, path)).status;
}

/** Retries `check` until it holds; the test's own timeout is the only bound. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

describe('two replicas on one PostgreSQL', () => {
  it('refuses at the second replica a client assertion jti the first accepted', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const signed = await assertion();
    expect((await withAssertion(a, signed)).status).toBe(200);
    const replayed = await withAssertion(b, signed);
    expect(replayed.status).toBe(401);
    expect(replayed.body.error).toBe('invalid_client');
    expect(String(replayed.body.error_description)).toMatch(/was already used/);
  });

  it("reports inactive at the second replica's introspection a token revoked through the first", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const token = (await clientCredentials(a)).body.access_token as string;
    expect((await tokenOperation(b, 'introspect', token)).body.active).toBe(true);
    expect((await tokenOperation(a, 'revoke', token)).status).toBe(200);
    expect((await tokenOperation(b, 'introspect', token)).body).toEqual({ active: false });
    expect(decodePart(token, 1).client_id).toBe(BASIC.clientId);
  });
});

describe('PostgreSQL stopped and started under load', () => {
  it('keeps issuing client_credentials, answers 503 temporarily_unavailable for what needs state, and recovers', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const token = (await clientCredentials(a)).body.access_token as string;
    // Load: client_credentials from both replicas all along, every answer recorded.
    const statuses: number[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const answers = await Promise.all([clientCredentials(a), clientCredentials(b)]);
        statuses.push(...answers.map((x) => x.status));
      }
    })();

    await db.stopServer();
    const atStop = statuses.length;
    // What needs state fails closed, never with a 500.
    expectTemporarilyUnavailable(await withAssertion(a, await assertion()));
    expectTemporarilyUnavailable(await tokenOperation(b, 'introspect', token));
    expectTemporarilyUnavailable(await tokenOperation(a, 'revoke', token));
    await eventually(async () => (await readyz(a)) === 503 && (await readyz(b)) === 503);
    // The Pods stay ready, so the Service keeps sending client_credentials to them; /readyz names the outage.
    expect(await readyz(a, '/readyz')).toBe(200);
    const down = (await readiness(a.servers.opsPort)).body;
    expect(down.status).toBe('ready');
    expect(down.degraded?.state).toMatch(
      /^the runtime state \(postgres\) does not answer: PostgreSQL runtime state: /,
    );
    expect(down.degraded?.state).not.toContain(':' + new URL(db.url).password + '@');
    // Tokens keep coming from both replicas while the database is down.
    await eventually(async () => statuses.length >= atStop + 20);

    await db.startServer();
    await eventually(async () => (await withAssertion(a, await assertion())).status === 200);
    await eventually(async () => (await readyz(a)) === 200 && (await readyz(b)) === 200);
    expect((await tokenOperation(b, 'introspect', token)).body.active).toBe(true);
    loading = false;
    await load;

    expect(new Set(statuses)).toEqual(new Set([200]));
    // Logged once per outage and replica, however many requests failed.
    for (const r of [a, b]) {
      expect(r.events.unavailable).toHaveLength(1);
      expect(r.events.unavailable[0]?.backend).toBe('postgres');
      expect(r.events.recovered).toHaveLength(1);
    }
  });
});

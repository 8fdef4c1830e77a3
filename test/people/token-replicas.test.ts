/**
 * People's tokens on two replicas sharing one real PostgreSQL (issue 12: "the sign-in starts on one and the
 * callback and code redemption land on the other"): a code written by one replica is redeemed at the other, its
 * reuse there revokes what the first issued, and a refresh-token family rotated at one replica is checked for
 * reuse at the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW_MS, testKeys } from '../http/harness.ts';
import { FixedSource } from '../http/world.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';
import { startReplicas, stopReplicas, type Replica } from '../support/replicas.ts';
import { peopleWorld, WEB_SECRET } from './harness.ts';
import { alice, ALICE_ID, basic, post, writeCode, writeUser } from './token-fixtures.ts';

const ISSUER = 'http://latchkey.test';
const WEB = { authorization: basic('web-app.people', WEB_SECRET) };
const TIMEOUTS = { connectTimeoutMs: 1_000, statementTimeoutMs: 2_000, idleTimeoutMs: 30_000 };

let db: RunningPostgres;
let replicas: Replica[] = [];
const clock = { now: NOW_MS };

beforeAll(async () => {
  db = await startPostgres();
  const source = new FixedSource(peopleWorld(await testKeys()));
  replicas = await startReplicas({
    url: db.url,
    source,
    issuer: ISSUER,
    now: () => clock.now,
    timeouts: TIMEOUTS,
  });
  await writeUser(replicas[0]!.state, alice(clock.now), clock.now);
});

afterAll(async () => {
  await stopReplicas(replicas);
  replicas = [];
  await db?.stop();
});

const [a, b] = [() => replicas[0] as Replica, () => replicas[1] as Replica];
const redeem = (at: Replica, code: string, verifier: string) =>
  post(
    `${at.base}/oauth2/token`,
    {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: 'https://app.example.com/callback',
    },
    WEB,
  );
const refresh = (at: Replica, token: string) =>
  post(`${at.base}/oauth2/token`, { grant_type: 'refresh_token', refresh_token: token }, WEB);

describe('people tokens across replicas on one PostgreSQL', () => {
  it('redeems at one replica a code the other wrote, and a reuse at the first revokes what it issued', async () => {
    const { code, verifier } = await writeCode(a().state, clock.now);
    const first = await redeem(b(), code, verifier);
    expect(first.status).toBe(200);
    const introspect = (at: Replica) =>
      post(`${at.base}/oauth2/introspect`, { token: first.body.access_token as string }, WEB);
    expect((await introspect(a())).body).toMatchObject({ active: true, sub: ALICE_ID });

    expect((await redeem(a(), code, verifier)).body.error).toBe('invalid_grant');
    expect((await introspect(a())).body).toEqual({ active: false });
    expect((await introspect(b())).body).toEqual({ active: false });
    expect((await refresh(a(), first.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('lets one of two replicas redeeming the same code at once win', async () => {
    const { code, verifier } = await writeCode(a().state, clock.now);
    const answers = await Promise.all([redeem(a(), code, verifier), redeem(b(), code, verifier)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  it('rotates at one replica and detects reuse after the grace at the other, ending the family', async () => {
    const { code, verifier } = await writeCode(b().state, clock.now);
    const issued = await redeem(a(), code, verifier);
    const first = issued.body.refresh_token as string;
    const rotated = await refresh(a(), first);
    expect(rotated.status).toBe(200);
    clock.now += 5_000;
    const withinGrace = await refresh(b(), first);
    expect(withinGrace.status).toBe(200);
    clock.now += 6_000;
    expect((await refresh(b(), first)).body.error).toBe('invalid_grant');
    expect((await refresh(a(), rotated.body.refresh_token as string)).body.error).toBe('invalid_grant');
    expect((await refresh(b(), withinGrace.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });
});

/**
 * People sign-in through the operator (issue 12, "Replicas: two Latchkey processes on one PostgreSQL; the
 * sign-in starts on one and the callback and code redemption land on the other"), on a real kube-apiserver and a
 * real PostgreSQL. The Connection, its client secret, the API and the web client are applied through the API
 * server; two `latchkey operator --state postgres` replicas serve one issuer. The company IdP is
 * node-oidc-provider, the relying party openid-client, and this test is the load balancer: each request of one
 * browser goes to the replica it names. Every wait is for a condition, never for a time.
 */
import * as oidc from 'openid-client';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KindName } from '../../src/api/kinds.ts';
import { CORE_SECRETS, type KubeObject } from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import { identityKey } from '../../src/people/users.ts';
import { keyDigest } from '../../src/state/key-digest.ts';
import { RECORDS_TABLE } from '../../src/state/postgres/schema.ts';
import type { RecordKind } from '../../src/state/runtime-state.ts';
import { LATCHKEY_AT_IDP, startCompanyIdp, type CompanyIdp } from '../support/oidc-upstream.ts';
import { startPostgres, withClient, type RunningPostgres } from '../support/postgres.ts';
import {
  conditionOf,
  createNamespace,
  eventually,
  getObject,
  operator,
  OPERATOR_NAMESPACE,
  secretData,
  startCluster,
  type Cluster,
  type Operator,
} from './operator-harness.ts';
import { CookieJar } from '../support/cookie-jar.ts';

const NS = 'notes';
/** One issuer for both replicas, as behind the chart's Service; each is reached at its own port. */
const ISSUER = `http://latchkey.${OPERATOR_NAMESPACE}.svc:8080`;
const CONNECTION = 'company-idp';
const CLIENT = 'notes-web';
const CLIENT_ID = `${CLIENT}.${NS}`;
const API = 'https://notes.internal';
const REDIRECT = 'https://notes.example.com/callback';
const REPLICAS = ['latchkey-0', 'latchkey-1'] as const;
const PERSON = 'emp-1001';

let cluster: Cluster;
let db: RunningPostgres;
let dbUrl: string;
let idp: CompanyIdp;
let replicas: [Operator, Operator];
/** Every replica that started, closed by afterAll even when the other failed to start. */
const started: Operator[] = [];
let clientSecret: string;

/** Where a replica answers: its own port on 127.0.0.1, under the shared issuer's (empty) path. */
function at(replica: Operator): string {
  return `http://127.0.0.1:${replica.port}`;
}

/** `url` (absolute on the issuer, or a path) sent to `replica`. */
function routed(replica: Operator, url: string): string {
  const u = new URL(url, ISSUER);
  if (u.origin !== ISSUER) throw new Error(`not the issuer's: ${u.href}`);
  return `${at(replica)}${u.pathname}${u.search}`;
}

/** One browser behind the load balancer: a cookie jar (host-only cookies of the one issuer, by name). */
class Balanced {
  readonly jar = new CookieJar();
  readonly cookies = this.jar.cookies;

  /** GET at `replica`; resolves the 303's Location, absolute. */
  async redirectFrom(replica: Operator, url: string): Promise<URL> {
    const res = this.jar.keep(
      await fetch(routed(replica, url), { redirect: 'manual', headers: this.jar.with() }),
    );
    const location = res.headers.get('location');
    if (res.status !== 303 || location === null) {
      throw new Error(`GET ${new URL(url, ISSUER).pathname} at ${replica.identity}: ${res.status}`);
    }
    return new URL(location, ISSUER);
  }

  /** Follows redirects at `replica` while they stay on the issuer; resolves the first one that leaves it. */
  async leave(replica: Operator, url: string): Promise<{ to: URL; hops: string[] }> {
    const hops: string[] = [];
    let next = new URL(url, ISSUER);
    while (next.origin === ISSUER) {
      if (hops.length === 10) throw new Error(`too many redirects: ${hops.join(' ')}`);
      hops.push(next.pathname);
      next = await this.redirectFrom(replica, next.href);
    }
    return { to: next, hops };
  }
}

/** openid-client for the web client, whose every request goes to the replica `route.to` names at that moment. */
function relyingParty(route: { to: Operator }): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(ISSUER), CLIENT_ID, undefined, oidc.ClientSecretBasic(clientSecret), {
    execute: [oidc.allowInsecureRequests],
    [oidc.customFetch]: (url: string, options: oidc.CustomFetchOptions) =>
      fetch(routed(route.to, url), options as RequestInit),
  });
}

const latchkeyObject = (kind: KindName, name: string, spec: object): KubeObject => ({
  apiVersion: 'latchkey.dev/v1alpha1',
  kind,
  metadata: { name, namespace: NS },
  spec,
});

/** What a platform team applies: the upstream's client secret, the Connection, the API and the web client. */
async function applyManifests(): Promise<void> {
  await createNamespace(cluster, NS);
  await cluster.api.create(CORE_SECRETS, NS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'company-idp-oauth' },
    stringData: { client_secret: LATCHKEY_AT_IDP.clientSecret },
  });
  const objects = [
    latchkeyObject('Connection', CONNECTION, {
      type: 'oidc',
      displayName: 'Company IdP',
      issuer: idp.issuer,
      clientId: LATCHKEY_AT_IDP.clientId,
      clientSecretRef: { name: 'company-idp-oauth' },
      scopes: ['email', 'profile'],
    }),
    latchkeyObject('ResourceServer', 'notes-api', {
      identifier: API,
      scopes: [{ name: 'notes:read' }],
    }),
    latchkeyObject('OAuthClient', CLIENT, {
      appType: 'web',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT],
      connections: [{ name: CONNECTION }],
      firstParty: true,
      grants: [{ resourceServer: { name: 'notes-api' }, scopes: ['notes:read'] }],
    }),
  ];
  for (const o of objects) await cluster.api.create(resourceOf(o.kind as KindName), NS, o);
}

async function startReplica(name: string): Promise<Operator> {
  const op = await operator(cluster, ['--state', 'postgres'], name, {
    issuer: ISSUER,
    env: { LATCHKEY_STATE_URL: dbUrl },
  });
  started.push(op);
  return op;
}

beforeAll(async () => {
  // All started before any failure is thrown, so afterAll stops whichever did start.
  const starting = await Promise.allSettled([
    startCluster().then((c) => (cluster = c)),
    startPostgres().then((p) => (db = p)),
    startCompanyIdp({ redirectUris: [`${ISSUER}/login/callback`] }).then((i) => (idp = i)),
  ]);
  for (const s of starting) if (s.status === 'rejected') throw s.reason;
  dbUrl = await db.createDatabase();
  await applyManifests();
  replicas = await Promise.all(REPLICAS.map(startReplica) as [Promise<Operator>, Promise<Operator>]);
  await Promise.all(replicas.map((r) => r.whenReady()));

  for (const [kind, name] of [
    ['Connection', CONNECTION],
    ['ResourceServer', 'notes-api'],
    ['OAuthClient', CLIENT],
  ] as const) {
    await eventually(
      async () => conditionOf(await getObject(cluster, kind, NS, name)),
      (c) => c?.status === 'True',
      `${kind} ${name} Ready`,
      60_000,
    );
  }
  const secret = await eventually(
    () => secretData(cluster, NS, `${CLIENT}-oauth`),
    (d) => d?.['client_secret'] !== undefined,
    `the Secret of ${CLIENT}`,
  );
  expect(secret?.['client_id']).toBe(CLIENT_ID);
  clientSecret = secret?.['client_secret'] as string;
  // Both replicas serve the client and the Connection with its secret before the browser arrives.
  for (const r of replicas) {
    await eventually(
      async () => {
        const snapshot = r.store.current();
        const signIn = snapshot.connections.get(`${NS}/${CONNECTION}`)?.signIn;
        return { client: snapshot.clients.has(CLIENT_ID), secret: signIn?.clientSecret !== undefined };
      },
      (serves) => serves.client && serves.secret,
      `${r.identity} serves ${CLIENT_ID} through ${CONNECTION}`,
    );
  }
}, 180_000);

afterAll(async () => {
  for (const r of started) await r.close();
  await idp?.close();
  await db?.stop();
  await cluster?.stop();
});

/** The value of the `kind` record stored for `key` (under its digest), or undefined. */
async function recordOf(kind: RecordKind, key: string): Promise<unknown> {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query(`select value from ${RECORDS_TABLE} where kind = $1 and key_digest = $2`, [
      kind,
      keyDigest(kind, key),
    ]);
    return rows[0]?.value;
  });
}

/** The claims of an access token, verified as a resource server would with the JWKS `replica` serves. */
async function verifiedAt(replica: Operator, token: string): Promise<JWTPayload> {
  const jwks = (await (await fetch(routed(replica, '/.well-known/jwks.json'))).json()) as JSONWebKeySet;
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: ISSUER,
    audience: API,
    typ: 'at+jwt',
  });
  return payload;
}

/** Every row of the records table as text: kind, key digest, owner and value. */
async function recordsTable(): Promise<string> {
  return withClient(dbUrl, async (c) => {
    const { rows } = await c.query(
      `select kind, encode(key_digest, 'hex') as key, owner, value::text as value from ${RECORDS_TABLE}`,
    );
    return JSON.stringify(rows);
  });
}

describe('people sign-in through latchkey operator --state postgres (real kube-apiserver)', () => {
  const [first, second] = [() => replicas[0], () => replicas[1]];
  const browser = new Balanced();
  /** Everything a browser or client held that must not be in the records table as it was sent. */
  const credentials = new Map<string, string>();
  const route = { to: undefined as unknown as Operator };
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  it('starts at one replica, comes back from the IdP to the other, and redeems the code at the first', async () => {
    route.to = first();
    const config = await relyingParty(route);
    const verifier = oidc.randomPKCECodeVerifier();
    const [state, nonce] = [oidc.randomState(), oidc.randomNonce()];
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email offline_access notes:read',
      resource: API,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    // One Connection: the login page sends the browser straight on to the IdP.
    const upstream = await browser.leave(first(), url.href);
    expect(upstream.hops).toEqual(['/oauth2/authorize', '/login']);
    expect(upstream.to.origin).toBe(idp.issuer);
    expect(upstream.to.searchParams.get('client_id')).toBe(LATCHKEY_AT_IDP.clientId);
    credentials.set('upstream state', upstream.to.searchParams.get('state') as string);

    const callback = await idp.signIn(upstream.to.href, PERSON);
    expect(callback.origin + callback.pathname).toBe(`${ISSUER}/login/callback`);
    const back = await browser.leave(second(), callback.href);
    expect(back.hops).toEqual(['/login/callback', '/login/continue']);
    expect(back.to.origin + back.to.pathname).toBe(REDIRECT);
    credentials.set('code', back.to.searchParams.get('code') as string);
    for (const [name, value] of browser.cookies) credentials.set(`cookie ${name}`, value);
    // The IdP saw Latchkey's secret: the one the operator read from the Secret.
    expect(idp.tokenAuth).toEqual(['basic']);

    tokens = await oidc.authorizationCodeGrant(config, back.to, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    credentials.set('refresh token', tokens.refresh_token as string);
    expect(tokens.claims()).toMatchObject({ iss: ISSUER, aud: CLIENT_ID, amr: ['fed'] });
    expect(tokens.claims()?.sub).toMatch(/^usr_/);
  });

  it('issues an access token for the API that verifies against the JWKS of either replica', async () => {
    for (const r of replicas) {
      const payload = await verifiedAt(r, tokens.access_token);
      expect(payload).toMatchObject({ sub: tokens.claims()?.sub, client_id: CLIENT_ID });
      expect(String(payload['scope']).split(' ')).toContain('notes:read');
    }
  });

  it('refreshes at the other replica, which rotates the refresh token', async () => {
    route.to = second();
    const config = await relyingParty(route);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    credentials.set('rotated refresh token', refreshed.refresh_token as string);
    expect(await verifiedAt(first(), refreshed.access_token)).toMatchObject({ sub: tokens.claims()?.sub });
  });

  it('keeps the user and their identity in PostgreSQL, and no credential as it was sent', async () => {
    const sub = tokens.claims()?.sub as string;
    expect(await recordOf('user', sub)).toMatchObject({ id: sub, email: 'carol@corp.example' });
    expect(await recordOf('identity', identityKey(`${NS}/${CONNECTION}`, PERSON))).toMatchObject({
      userId: sub,
      connection: `${NS}/${CONNECTION}`,
      subject: PERSON,
    });
    const table = await recordsTable();
    expect(credentials.size).toBeGreaterThanOrEqual(4);
    for (const [name, value] of credentials) {
      expect(value.length, name).toBeGreaterThanOrEqual(20);
      expect(table.includes(value), `${name} in the records table`).toBe(false);
    }
  });
});

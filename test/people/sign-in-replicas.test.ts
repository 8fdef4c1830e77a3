/**
 * A sign-in spread over two Latchkey replicas that share one real PostgreSQL (issue 12, "Replicas: the sign-in
 * starts on one and the callback and code redemption land on the other"). Both serve one issuer; this test is
 * the load balancer, sending each request of one browser to the replica it names; a device's sign-in (RFC 8628,
 * issue 13) is spread the same way, its polls included. The company IdP is
 * node-oidc-provider behind an `oidc` Connection; the relying party is openid-client. Afterwards the records
 * table is read whole: no code, refresh token, session id, request id or upstream `state` is in it as sent.
 */
import * as oidc from 'openid-client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import { sessionCookieName } from '../../src/people/session.ts';
import { RECORDS_TABLE } from '../../src/state/postgres/schema.ts';
import { payments, testKeys } from '../http/harness.ts';
import { FixedSource, grant } from '../http/world.ts';
import { startCompanyIdp, type CompanyIdp } from '../support/oidc-upstream.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';
import { startReplicas, stopReplicas, type Replica } from '../support/replicas.ts';
import { pkce, webRequest } from './authorize-support.ts';
import { companyConnection, PEOPLE, peopleClient, peopleWorld, WEB_SECRET } from './harness.ts';
import { formOf } from './login-browser.ts';
import { CookieJar } from '../support/cookie-jar.ts';
import { DEVICE_CLI, DEVICE_GRANT, pollOnce } from './device-support.ts';

const ISSUER = 'http://latchkey.test';
const CORP = 'corp/company-idp';
const CORP_CLIENT = { id: 'corp-web.people', secret: 'secret-corp-web-3Jq8' };
const CORP_REDIRECT = 'https://corp-app.example.com/callback';
const TIMEOUTS = { connectTimeoutMs: 2_000, statementTimeoutMs: 5_000, idleTimeoutMs: 30_000 };
const SESSION = sessionCookieName(false);

/**
 * One browser behind the load balancer: a cookie jar (host-only cookies of the one issuer, by name) and
 * requests sent to the replica each call names, the issuer's origin swapped for that replica's address.
 */
class Balanced {
  readonly jar = new CookieJar();
  readonly cookies = this.jar.cookies;

  async get(at: Replica, url: string): Promise<Response> {
    return this.send(at, url, { method: 'GET' });
  }

  async post(at: Replica, url: string, form: Record<string, string>): Promise<Response> {
    return this.send(at, url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER },
      body: new URLSearchParams(form).toString(),
    });
  }

  private async send(at: Replica, url: string, init: RequestInit): Promise<Response> {
    const target = routed(at, url);
    const headers = this.jar.with(init.headers as Record<string, string>);
    return this.jar.keep(await fetch(target, { ...init, headers, redirect: 'manual' }));
  }
}

/** `url` (absolute on the issuer, or a path) sent to replica `at`. */
function routed(at: Replica, url: string): string {
  const u = new URL(url, ISSUER);
  if (u.origin !== ISSUER) throw new Error(`not the issuer's: ${u.href}`);
  return `${at.base}${u.pathname}${u.search}`;
}

function location(res: Response): URL {
  const value = res.headers.get('location');
  if (res.status !== 303 || value === null) throw new Error(`expected a 303, got ${res.status}`);
  return new URL(value, ISSUER);
}

let db: RunningPostgres;
let idp: CompanyIdp;
let replicas: Replica[] = [];
/** Everything a browser or client held that must not be in the records table as it was sent. */
const credentials = new Map<string, string>();

beforeAll(async () => {
  [db, idp] = await Promise.all([startPostgres(), startCompanyIdp({ redirectUris: [] })]);
  idp.registerRedirectUri(`${ISSUER}/login/callback`);
  const keys = await testKeys();
  const source = new FixedSource(
    peopleWorld(keys, {
      connections: [companyConnection(idp.issuer)],
      clients: [
        peopleClient(
          {
            clientId: CORP_CLIENT.id,
            secrets: [CORP_CLIENT.secret],
            grants: [grant(payments, ['payments:read'])],
          },
          {
            displayName: 'Corp app',
            firstParty: false,
            redirectUris: [CORP_REDIRECT],
            postLogoutRedirectUris: ['https://corp-app.example.com/bye'],
            connections: ['people/test-people', CORP],
            // A reuse right after a rotation is a reuse: no grace to wait out with a real clock.
            refreshToken: { idleSeconds: 3600, absoluteSeconds: 86_400, reuseGraceSeconds: 0 },
          },
        ),
        peopleClient(
          { clientId: DEVICE_CLI, authMethod: 'none', grantTypes: [DEVICE_GRANT, 'refresh_token'] },
          { appType: 'native', displayName: 'Device CLI', redirectUris: [] },
        ),
      ],
    }),
  );
  replicas = await startReplicas({
    url: db.url,
    source,
    issuer: ISSUER,
    now: () => Date.now(),
    timeouts: TIMEOUTS,
    addressPolicy: { ...STRICT_POLICY, allowLoopback: true },
  });
}, 60_000);

afterAll(async () => {
  await stopReplicas(replicas);
  replicas = [];
  await idp?.close();
  await db?.stop();
});

const a = (): Replica => replicas[0] as Replica;
const b = (): Replica => replicas[1] as Replica;

/** openid-client for `clientId`, whose every request goes to the replica `route.to` names at that moment. */
async function relyingParty(clientId: string, secret: string, route: { to: () => Replica }) {
  const config = await oidc.discovery(new URL(ISSUER), clientId, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
    [oidc.customFetch]: (url: string, options: oidc.CustomFetchOptions) =>
      fetch(routed(route.to(), url), options as RequestInit),
  });
  return config;
}

/** Every row of the records table as text: kind, key digest, owner and value. */
async function recordsTable(): Promise<string> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select kind, encode(key_digest, 'hex') as key, owner, value::text as value from ${RECORDS_TABLE}`,
    );
    return JSON.stringify(rows);
  } finally {
    await client.end();
  }
}

/** The credentials found in the records table as they were sent. */
async function credentialsInTable(): Promise<string[]> {
  const table = await recordsTable();
  for (const [name, value] of credentials)
    if (!(value?.length >= 20)) throw new Error(`no ${name} to look for`);
  return [...credentials].filter(([, value]) => table.includes(value)).map(([name]) => name);
}

describe('one sign-in through the company IdP spread over two replicas', () => {
  const route = { to: b };
  const browser = new Balanced();
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  it('starts at A, chooses the IdP at A, lands at B, consents across both, and redeems the code at B', async () => {
    const config = await relyingParty(CORP_CLIENT.id, CORP_CLIENT.secret, route);
    const verifier = oidc.randomPKCECodeVerifier();
    const [state, nonce] = [oidc.randomState(), oidc.randomNonce()];
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CORP_REDIRECT,
      scope: 'openid email offline_access payments:read',
      resource: 'https://payments.internal',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    const toLogin = location(await browser.get(a(), url.href));
    const requestId = toLogin.searchParams.get('request') as string;
    credentials.set('request id', requestId);
    const loginPage = await browser.get(a(), toLogin.href);
    expect(loginPage.status).toBe(200);
    const choose = formOf(await loginPage.text(), '/login');
    credentials.set('browser cookie', browser.cookies.get('latchkey-browser') as string);
    const chosen = await browser.post(a(), choose.action, { ...choose.fields, connection: CORP });
    const upstream = new URL(chosen.headers.get('location') as string);
    expect(upstream.origin).toBe(idp.issuer);
    credentials.set('upstream state', upstream.searchParams.get('state') as string);
    expect(await credentialsInTable()).toEqual([]);

    const callback = await idp.signIn(upstream.href, 'emp-1001');
    expect(callback.origin + callback.pathname).toBe(`${ISSUER}/login/callback`);
    const continued = location(await browser.get(b(), callback.href));
    expect(continued.pathname).toBe('/login/continue');
    credentials.set('session cookie', browser.cookies.get(SESSION) as string);

    const toConsent = location(await browser.get(a(), continued.href));
    expect(toConsent.pathname).toBe('/consent');
    const consentPage = await browser.get(b(), toConsent.href);
    expect(consentPage.status).toBe(200);
    const consent = formOf(await consentPage.text(), '/consent');
    expect(await credentialsInTable()).toEqual([]);
    const back = location(await browser.post(a(), consent.action, { ...consent.fields, decision: 'allow' }));
    expect(back.origin + back.pathname).toBe(CORP_REDIRECT);
    credentials.set('code', back.searchParams.get('code') as string);

    route.to = b;
    tokens = await oidc.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    credentials.set('refresh token', tokens.refresh_token as string);
    expect(tokens.claims()).toMatchObject({ iss: ISSUER, aud: CORP_CLIENT.id, amr: ['fed'] });
    expect(tokens.claims()?.sub).toMatch(/^usr_/);
  });

  it('refreshes at A, and a reuse of the old refresh token at B ends the family at both', async () => {
    const config = await relyingParty(CORP_CLIENT.id, CORP_CLIENT.secret, route);
    route.to = a;
    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    credentials.set('rotated refresh token', rotated.refresh_token as string);
    const rotatedBy = Date.now();
    // With no grace, any later millisecond is a reuse: wait for the clock to pass the rotation's.
    while (Date.now() <= rotatedBy) await new Promise((resolve) => setImmediate(resolve));

    route.to = b;
    const reuse = oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    await expect(reuse).rejects.toMatchObject({ error: 'invalid_grant' });
    route.to = a;
    const next = oidc.refreshTokenGrant(config, rotated.refresh_token as string);
    await expect(next).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('keeps no code, refresh token, session id, request id or upstream state in the records table', async () => {
    expect(credentials.size).toBe(7);
    expect(await credentialsInTable()).toEqual([]);
  });

  it('signs the browser out at B, and its session cookie is worth nothing at A', async () => {
    const old = browser.cookies.get(SESSION) as string;
    const silent = webRequest(pkce().challenge, {
      client_id: CORP_CLIENT.id,
      redirect_uri: CORP_REDIRECT,
      scope: 'openid email',
      prompt: 'none',
    });
    // Signed in and consented: a silent request at A gets a code.
    const before = location(await browser.get(a(), `/oauth2/authorize?${new URLSearchParams(silent)}`));
    expect(before.searchParams.has('code')).toBe(true);

    const query = new URLSearchParams({ id_token_hint: tokens.id_token as string });
    const out = await browser.get(b(), `/oauth2/logout?${query}`);
    expect(out.status).toBe(200);
    expect(browser.cookies.has(SESSION)).toBe(false);

    // The cookie kept by someone who copied it is refused by the other replica, too.
    browser.cookies.set(SESSION, old);
    const after = location(await browser.get(a(), `/oauth2/authorize?${new URLSearchParams(silent)}`));
    expect(after.searchParams.get('error')).toBe('login_required');
  });
});

describe("the test Connection's form spread over two replicas", () => {
  it('shows the form at A, takes the password at B, continues at A and redeems the code at B', async () => {
    const browser = new Balanced();
    const { verifier, challenge } = pkce();
    const request = new URLSearchParams(webRequest(challenge, { scope: 'openid email offline_access' }));
    const toLogin = location(await browser.get(a(), `/oauth2/authorize?${request}`));
    const page = await browser.get(a(), toLogin.href);
    const form = formOf(await page.text(), '/login/password');
    const signedIn = await browser.post(b(), form.action, {
      ...form.fields,
      username: 'alice',
      password: PEOPLE.alice.password,
    });
    const back = location(await browser.get(a(), location(signedIn).href));
    expect(back.origin + back.pathname).toBe('https://app.example.com/callback');
    const code = back.searchParams.get('code') as string;
    credentials.set('test-user code', code);

    const redeemed = await fetch(`${b().base}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`web-app.people:${WEB_SECRET}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: 'https://app.example.com/callback',
      }).toString(),
    });
    expect(redeemed.status).toBe(200);
    const body = (await redeemed.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['access_token', 'id_token', 'refresh_token']));
    credentials.set('test-user refresh token', body.refresh_token as string);
    credentials.set('test-user session cookie', browser.cookies.get(SESSION) as string);
    expect(await credentialsInTable()).toEqual([]);
  });
});

describe('a device sign-in spread over two replicas', () => {
  /** One poll of the token endpoint at replica `at`. */
  const poll = (at: Replica, deviceCode: string) => pollOnce({ issuer: at.base }, deviceCode);

  it('starts at A, slows a poll at B that came too soon after one at A, and is approved across both', async () => {
    const started = await fetch(`${a().base}/oauth2/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: DEVICE_CLI, scope: 'openid offline_access' }).toString(),
    });
    const device = (await started.json()) as Record<string, string>;
    expect(device.verification_uri).toBe(`${ISSUER}/device`);
    const deviceCode = device.device_code as string;
    credentials.set('device code', deviceCode);
    expect((await poll(a(), deviceCode)).body.error).toBe('authorization_pending');
    expect((await poll(b(), deviceCode)).body.error).toBe('slow_down');

    const browser = new Balanced();
    const codePage = await browser.get(b(), device.verification_uri_complete as string);
    const codeForm = formOf(await codePage.text(), '/device');
    const entered = await browser.post(a(), codeForm.action, {
      ...codeForm.fields,
      user_code: device.user_code as string,
    });
    const toLogin = location(entered);
    const loginPage = await browser.get(b(), toLogin.href);
    const form = formOf(await loginPage.text(), '/login/password');
    const signedIn = await browser.post(a(), form.action, {
      ...form.fields,
      username: 'alice',
      password: PEOPLE.alice.password,
    });
    const toConfirm = location(await browser.get(b(), location(signedIn).href));
    expect(toConfirm.pathname).toBe('/consent');
    const confirmPage = await browser.get(a(), toConfirm.href);
    const page = await confirmPage.text();
    expect(page).toContain(device.user_code as string);
    const confirm = formOf(page, '/consent');
    const answered = await browser.post(b(), confirm.action, { ...confirm.fields, decision: 'allow' });
    expect(answered.status).toBe(200);

    const issued = await poll(a(), deviceCode);
    expect(issued.status).toBe(200);
    expect(Object.keys(issued.body)).toEqual(
      expect.arrayContaining(['access_token', 'id_token', 'refresh_token']),
    );
    credentials.set('device refresh token', issued.body.refresh_token as string);
    expect((await poll(b(), deviceCode)).body.error).toBe('invalid_grant');
    expect(await credentialsInTable()).toEqual([]);
    // The user code is the record's key: only its digest is in the table.
    expect(await recordsTable()).not.toContain((device.user_code as string).replace('-', ''));
  });
});

/**
 * An organization sign-in spread over two Latchkey replicas that share one real PostgreSQL (issue 13): every
 * request of the browser goes to the other replica than the one before, so the login page, the password form,
 * the organization page, the choice, the code and the refresh each find on one replica what the other wrote
 * (the sign-in's facts on the session, the chosen organization on the request, both on the refresh family).
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testKeys } from '../http/harness.ts';
import { FixedSource } from '../http/world.ts';
import { CookieJar } from '../support/cookie-jar.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';
import { startReplicas, stopReplicas, type Replica } from '../support/replicas.ts';
import { formOf } from './login-browser.ts';
import {
  compileOrganizationsWorld,
  GLOBEX,
  organizationRequest,
  PASSWORDS,
  PORTAL,
  PORTAL_SECRET,
} from './organizations-world.ts';

const ISSUER = 'http://latchkey.test';
const TIMEOUTS = { connectTimeoutMs: 2_000, statementTimeoutMs: 5_000, idleTimeoutMs: 30_000 };

let db: RunningPostgres;
let source: FixedSource;
let keys: Awaited<ReturnType<typeof testKeys>>;
let replicas: Replica[] = [];
let turn = 0;

beforeAll(async () => {
  [db, keys] = await Promise.all([startPostgres(), testKeys()]);
  source = new FixedSource(compileOrganizationsWorld(keys).snapshot);
  replicas = await startReplicas({
    url: db.url,
    source,
    issuer: ISSUER,
    now: () => Date.now(),
    timeouts: TIMEOUTS,
  });
}, 60_000);

afterAll(async () => {
  await stopReplicas(replicas);
  await db?.stop();
});

const jar = new CookieJar();

/** Sends the request to the next replica in turn: the load balancer of this test. */
async function send(url: string, form?: Record<string, string>): Promise<Response> {
  const at = replicas[turn++ % 2] as Replica;
  const u = new URL(url, ISSUER);
  const init: RequestInit =
    form === undefined
      ? { method: 'GET' }
      : {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER },
          body: new URLSearchParams(form).toString(),
        };
  const headers = jar.with(init.headers as Record<string, string> | undefined);
  return jar.keep(
    await fetch(`${at.base}${u.pathname}${u.search}`, { ...init, headers, redirect: 'manual' }),
  );
}

/** Follows 303s on the issuer, each to the other replica; returns the page, or the redirect leaving the issuer. */
async function follow(res: Response): Promise<Response> {
  let current = res;
  while (current.status === 303) {
    const next = new URL(current.headers.get('location') ?? '', ISSUER);
    if (next.origin !== ISSUER) return current;
    current = await send(next.href);
  }
  return current;
}

async function token(form: Record<string, string>): Promise<Record<string, unknown>> {
  const at = replicas[turn++ % 2] as Replica;
  const res = await fetch(`${at.base}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${PORTAL}:${PORTAL_SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams(form).toString(),
  });
  return (await res.json()) as Record<string, unknown>;
}

it('signs carol in to the organization she chooses, across replicas, and refuses her refresh once she is no longer a member', async () => {
  const { params, verifier } = organizationRequest(PORTAL, {
    scope: 'openid offline_access payments:read',
  });
  const login = await follow(await send(`/oauth2/authorize?${new URLSearchParams(params).toString()}`));
  const password = formOf(await login.text(), '/login/password');
  const choice = await follow(
    await send(password.action, { ...password.fields, username: 'carol', password: PASSWORDS.carol }),
  );
  expect(new URL(choice.url).pathname).toBe('/organization');
  const form = formOf(await choice.text(), '/organization');
  const back = await follow(await send(form.action, { ...form.fields, organization: GLOBEX }));
  const callback = new URL(back.headers.get('location') ?? '');
  expect(callback.origin + callback.pathname).toBe('https://portal.example.com/callback');

  const issued = await token({
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code') ?? '',
    redirect_uri: params.redirect_uri as string,
    code_verifier: verifier,
  });
  expect(decodeJwt(issued.access_token as string)).toMatchObject({ org_id: GLOBEX, org_name: 'globex' });
  const refreshed = await token({
    grant_type: 'refresh_token',
    refresh_token: issued.refresh_token as string,
  });
  expect(decodeJwt(refreshed.access_token as string).org_id).toBe(GLOBEX);

  // Globex's rules change in Git: carol's group no longer makes her a member; her next refresh is refused.
  source.snapshot = compileOrganizationsWorld(keys, { globexMembers: [] }).snapshot;
  expect(
    await token({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token as string }),
  ).toMatchObject({
    error: 'invalid_grant',
    error_description: "the grant no longer holds: the person is not a member of organization 'globex'",
  });
});

import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideLogoutRedirect, LogoutRefused, type LogoutInput } from '../../src/people/logout.ts';
import type { SessionRecord } from '../../src/people/records.ts';
import { form } from '../http/harness.ts';
import { peopleClient, peopleWorld, startPeopleHarness, type PeopleHarness } from './harness.ts';
import { get, postForm, signedIn } from './authorize-support.ts';

let h: PeopleHarness;
beforeAll(async () => {
  h = await startPeopleHarness();
  h.source.snapshot = peopleWorld(h.keys, {
    clients: [
      peopleClient(
        { clientId: 'other.people', secrets: ['s'] },
        { postLogoutRedirectUris: ['https://other.example/bye'] },
      ),
    ],
  });
});
afterAll(() => h.close());

/** An ID token as the token endpoint signs them, with the harness's active RS256 key. */
async function idToken(
  claims: Record<string, unknown> = {},
  expiresAtS = Math.floor(h.clock.now / 1000) + 300,
  typ = 'JWT',
) {
  const key = h.keys.active.get('RS256');
  if (key === undefined) throw new Error('no RS256 key');
  return new SignJWT({ sub: 'usr_alice', sid: 'sid-1', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ })
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : h.issuer)
    .setAudience('web-app.people')
    .setIssuedAt(expiresAtS - 300)
    .setExpirationTime(expiresAtS)
    .sign(key.privateKey);
}

function logoutUrl(params: Record<string, string>): string {
  return `${h.issuer}/oauth2/logout?${new URLSearchParams(params)}`;
}

async function sessionOf(id: string): Promise<SessionRecord | undefined> {
  return (await h.state.get<SessionRecord>('session', id, h.clock.now))?.value;
}

function expectPage(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('decideLogoutRedirect (RP-Initiated Logout §2, §3)', () => {
  const web = peopleClient({ clientId: 'web' });
  const base: LogoutInput = {
    postLogoutRedirectUri: undefined,
    clientId: undefined,
    hintClientId: undefined,
    client: web,
  };
  const registered = 'https://app.example.com/signed-out';
  it.each<[string, Partial<LogoutInput>, string | undefined]>([
    ['nothing asked: the signed-out page', {}, undefined],
    ['a registered URI with client_id', { postLogoutRedirectUri: registered, clientId: 'web' }, registered],
    ['a registered URI with a hint', { postLogoutRedirectUri: registered, hintClientId: 'web' }, registered],
    [
      'a registered URI with both, agreeing',
      { postLogoutRedirectUri: registered, clientId: 'web', hintClientId: 'web' },
      registered,
    ],
  ])('%s', (_, overrides, expected) => {
    expect(decideLogoutRedirect({ ...base, ...overrides })).toBe(expected);
  });
  it.each<[string, Partial<LogoutInput>]>([
    ['a URI that is not registered', { postLogoutRedirectUri: 'https://evil.example/', clientId: 'web' }],
    ['a registered URI with a trailing slash', { postLogoutRedirectUri: `${registered}/`, clientId: 'web' }],
    ['a URI without a client', { postLogoutRedirectUri: registered }],
    ['a client_id that differs from the hint', { clientId: 'web', hintClientId: 'other' }],
    ['an unknown client', { postLogoutRedirectUri: registered, clientId: 'nobody', client: undefined }],
  ])('refuses %s', (_, overrides) => {
    expect(() => decideLogoutRedirect({ ...base, ...overrides })).toThrow(LogoutRefused);
  });
});

describe('GET /oauth2/logout', () => {
  it('ends the session, clears the cookie and shows the signed-out page', async () => {
    const browser = await signedIn(h);
    const res = await get(logoutUrl({}), browser.cookie);
    expectPage(res, 200);
    expect(res.headers.get('set-cookie')).toBe(
      'latchkey-session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax',
    );
    expect(await res.text()).toContain('signed out');
    expect(await sessionOf(browser.id)).toBeUndefined();
  });

  it('sends the browser to a registered post_logout_redirect_uri with state, named by id_token_hint', async () => {
    const browser = await signedIn(h);
    const params = {
      id_token_hint: await idToken(),
      post_logout_redirect_uri: 'https://app.example.com/signed-out',
      state: 'bye 1',
    };
    const res = await get(logoutUrl(params), browser.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://app.example.com/signed-out?state=bye+1');
    expect(await sessionOf(browser.id)).toBeUndefined();
  });

  it('accepts an expired id_token_hint and a client_id that agrees with it', async () => {
    const browser = await signedIn(h);
    const hint = await idToken({}, Math.floor(h.clock.now / 1000) - 86400);
    const params = {
      id_token_hint: hint,
      client_id: 'web-app.people',
      post_logout_redirect_uri: 'https://app.example.com/signed-out',
    };
    const res = await get(logoutUrl(params), browser.cookie);
    expect(res.headers.get('location')).toBe('https://app.example.com/signed-out');
  });

  it('accepts client_id alone with a registered post_logout_redirect_uri, and POST', async () => {
    const browser = await signedIn(h);
    const body = form({
      client_id: 'web-app.people',
      post_logout_redirect_uri: 'https://app.example.com/signed-out',
    });
    const res = await postForm(`${h.issuer}/oauth2/logout`, body, { cookie: browser.cookie });
    expect(res.status).toBe(303);
    expect(await sessionOf(browser.id)).toBeUndefined();
  });

  it('answers without a session too', async () => {
    expectPage(await get(logoutUrl({})), 200);
  });

  const refusals: [string, () => Promise<Record<string, string>>][] = [
    [
      'an unregistered post_logout_redirect_uri',
      async () => ({ client_id: 'web-app.people', post_logout_redirect_uri: 'https://evil.example/' }),
    ],
    [
      "another client's post_logout_redirect_uri",
      async () => ({
        client_id: 'other.people',
        post_logout_redirect_uri: 'https://app.example.com/signed-out',
      }),
    ],
    [
      'a post_logout_redirect_uri of a machine client',
      async () => ({
        client_id: 'machine.people',
        post_logout_redirect_uri: 'https://app.example.com/signed-out',
      }),
    ],
    [
      'a post_logout_redirect_uri without a client',
      async () => ({ post_logout_redirect_uri: 'https://app.example.com/signed-out' }),
    ],
    [
      'a hint from another issuer',
      async () => ({ id_token_hint: await idToken({ iss: 'https://elsewhere.example' }) }),
    ],
    [
      'a hint for another client than client_id',
      async () => ({ id_token_hint: await idToken(), client_id: 'spa.people' }),
    ],
    [
      'an access token as the hint',
      async () => ({ id_token_hint: await idToken({}, Math.floor(h.clock.now / 1000) + 300, 'at+jwt') }),
    ],
    ['a hint that is not a JWT', async () => ({ id_token_hint: 'not-a-token' })],
    [
      'a hint signed by a key this server does not hold',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const key = h.keys.active.get('RS256');
        const forged = await new SignJWT({ sub: 'usr_alice' })
          .setProtectedHeader({ alg: 'RS256', kid: key?.kid ?? 'k' })
          .setIssuer(h.issuer)
          .setAudience('web-app.people')
          .sign(privateKey);
        return { id_token_hint: forged, post_logout_redirect_uri: 'https://app.example.com/signed-out' };
      },
    ],
  ];
  it.each(refusals)('refuses %s with a page, no redirect, and the session kept', async (_, params) => {
    const browser = await signedIn(h);
    const res = await get(logoutUrl(await params()), browser.cookie);
    expectPage(res, 400);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await sessionOf(browser.id)).toBeDefined();
  });

  it('refuses repeated parameters', async () => {
    const res = await get(`${logoutUrl({ state: 'a' })}&state=b`);
    expectPage(res, 400);
  });

  it('answers PUT with 405', async () => {
    expect((await fetch(logoutUrl({}), { method: 'PUT' })).status).toBe(405);
  });
});

import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, logEvents } from '../../src/log.ts';
import { STYLESHEET } from '../../src/people/pages/layout.ts';
import type { AuthorizationRequestRecord, SessionRecord, UserRecord } from '../../src/people/records.ts';
import { readCookie, sessionCookieName } from '../../src/people/session.ts';
import { identityKey } from '../../src/people/users.ts';
import { authorizeUrl, pkce, signedIn as signedInAs, webRequest } from './authorize-support.ts';
import {
  peopleClient,
  peopleWorld,
  PEOPLE,
  signIn,
  startPeopleHarness,
  testConnection,
  testUser,
  WEB_SECRET,
  type PeopleHarness,
} from './harness.ts';
import { Browser, formOf, formsOf } from './login-browser.ts';

/**
 * The hosted login page and the test Connection's form (issue 12, "Hosted pages"), through the real server: a
 * browser with a cookie jar follows the authorization endpoint to the login page, posts the form, and comes back
 * to the client with a code.
 */

const SESSION = sessionCookieName(false);

/** Starts an authorization request of the web app and follows it to the login page. */
async function loginPage(
  h: PeopleHarness,
  browser: Browser,
  overrides: Record<string, string | undefined> = {},
): Promise<{ res: Response; page: string; requestId: string }> {
  const res = await browser.follow(
    await browser.get(authorizeUrl(h, webRequest(pkce().challenge, overrides))),
  );
  const page = await res.text();
  const requestId = /name="request" value="([^"]+)"/.exec(page)?.[1] ?? '';
  return { res, page, requestId };
}

async function submitPassword(
  browser: Browser,
  page: string,
  username: string,
  password: string,
): Promise<Response> {
  const form = formOf(page, '/login/password');
  return browser.post(form.action, { ...form.fields, username, password });
}

describe('the whole test-user sign-in, with openid-client as the relying party', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
  });
  afterAll(() => h.close());

  it('signs alice in to the web app: login page, password, code, tokens with her usr_ id', async () => {
    const config = await oidc.discovery(
      new URL(h.issuer),
      'web-app.people',
      undefined,
      oidc.ClientSecretBasic(WEB_SECRET),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://app.example.com/callback',
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const browser = new Browser(h);
    const login = await browser.follow(await browser.get(url.href));
    expect(login.status).toBe(200);
    const signedIn = await submitPassword(browser, await login.text(), 'alice', PEOPLE.alice.password);
    expect(signedIn.status).toBe(303);
    expect(browser.cookies.has(SESSION)).toBe(true);
    const back = await browser.follow(signedIn);
    expect(back.status).toBe(303);
    const callback = new URL(back.headers.get('location') as string);
    expect(callback.origin + callback.pathname).toBe('https://app.example.com/callback');

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims?.sub).toMatch(/^usr_[A-Za-z0-9_-]{43}$/);
    expect(claims?.amr).toEqual(['pwd']);
    const user = await h.state.get<UserRecord>('user', claims?.sub as string, Date.now());
    expect(user?.value).toMatchObject({
      email: 'alice@example.com',
      name: 'Alice Example',
      username: 'alice',
    });

    // Signed in: the next request of the same browser gets a code without the login page.
    const again = await browser.get(authorizeUrl(h, webRequest(pkce().challenge)));
    expect(new URL(again.headers.get('location') as string).searchParams.has('code')).toBe(true);
  });
});

describe('GET /login and POST /login/password', () => {
  let h: PeopleHarness;
  let browser: Browser;
  beforeEach(async () => {
    h = await startPeopleHarness();
    browser = new Browser(h);
  });
  afterEach(() => h.close());

  it("shows the only Connection's form with the hosted pages' headers, labels and no script", async () => {
    const { res, page } = await loginPage(h, browser);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self' https:\/\/app\.example\.com; frame-ancestors 'none'; base-uri 'none'$/,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.getSetCookie().join()).toMatch(
      /^latchkey-browser=[\w-]{43}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/,
    );
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<h1>Sign in to Web app</h1>');
    expect(page).not.toMatch(/<script|javascript:|\son\w+=/i);
    expect(page).toContain(STYLESHEET);
    // Every visible input has a label naming it.
    for (const input of page.matchAll(/<input\b[^>]*>/g)) {
      if (/type="hidden"/.test(input[0])) continue;
      const id = /\sid="([^"]+)"/.exec(input[0])?.[1];
      expect(page).toContain(`<label for="${id}">`);
    }
  });

  it('a wrong password shows the form again with an alert, counts a failure and signs nobody in', async () => {
    const failures = h.seen('signIn.failed');
    const { page } = await loginPage(h, browser);
    const res = await submitPassword(browser, page, 'alice', 'not-her-password');
    expect(res.status).toBe(400);
    const again = await res.text();
    expect(again).toContain('<p class="alert" role="alert">The username or password is not right.</p>');
    expect(again).toMatch(/name="username"[^>]*value="alice"/);
    expect(again).not.toContain('not-her-password');
    expect(browser.cookies.has(SESSION)).toBe(false);
    expect(failures).toEqual([
      { reason: 'wrong_password', connection: 'people/test-people', clientId: 'web-app.people' },
    ]);
  });

  it('an unknown name reads exactly as a wrong password', async () => {
    const { page } = await loginPage(h, browser);
    const wrong = await (await submitPassword(browser, page, 'alice', 'x')).text();
    const unknown = await (await submitPassword(browser, page, 'mallory', 'x')).text();
    expect(unknown.replace('value="mallory"', 'value="alice"').replace(/value="[\w-]{43}"/g, '')).toBe(
      wrong.replace(/value="[\w-]{43}"/g, ''),
    );
  });

  it('throttles a person after 5 failures in 15 minutes, without checking the password, until the window passes', async () => {
    const throttled = h.seen('signIn.throttled');
    const { page } = await loginPage(h, browser);
    for (let i = 0; i < 5; i++)
      expect((await submitPassword(browser, page, 'alice', `guess-${i}`)).status).toBe(400);
    const refused = await submitPassword(browser, page, 'Alice', PEOPLE.alice.password);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('900');
    expect(await refused.text()).toContain('Try again in 15 minutes.');
    expect(throttled).toEqual([
      { scope: 'person', connection: 'people/test-people', retryAfterSeconds: 900 },
    ]);
    expect(browser.cookies.has(SESSION)).toBe(false);
    // Bob, from the same address, is not throttled.
    expect((await submitPassword(browser, page, 'bob', PEOPLE.bob.password)).status).toBe(303);
    h.clock.now += 15 * 60_000;
    const later = new Browser(h);
    const { page: page2 } = await loginPage(h, later);
    expect((await submitPassword(later, page2, 'alice', PEOPLE.alice.password)).status).toBe(303);
  });

  it('throttles a source address after 20 failures across people', async () => {
    const throttled = h.seen('signIn.throttled');
    const { page } = await loginPage(h, browser);
    for (let i = 0; i < 20; i++) await submitPassword(browser, page, `someone-${i}`, 'x');
    const res = await submitPassword(browser, page, 'bob', PEOPLE.bob.password);
    expect(res.status).toBe(429);
    expect(throttled[0]?.scope).toBe('address');
  });

  it('prefills login_hint, escaped: a hostile hint is text, never markup', async () => {
    const hint = '"><script>alert(1)</script><input value="';
    const { page } = await loginPage(h, browser, { login_hint: hint });
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;input value=&quot;"');
    expect(page).not.toContain('<script>');
  });

  it('escapes a hostile client displayName and Connection displayName', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const world = peopleWorld(h.keys, {
      clients: [
        peopleClient(
          { clientId: 'evil.people', authMethod: 'none' },
          {
            displayName: hostile,
            redirectUris: ['https://evil.example/cb'],
            connections: ['people/test-people', 'people/evil'],
          },
        ),
      ],
      connections: [
        {
          ...testConnection,
          name: 'evil',
          signIn: signIn({ displayName: hostile, testUsers: [testUser('alice')] }),
        },
      ],
    });
    h.source.snapshot = world;
    const { page } = await loginPage(h, browser, {
      client_id: 'evil.people',
      redirect_uri: 'https://evil.example/cb',
    });
    expect(page).toContain('<h1>Sign in to &lt;img src=x onerror=alert(1)&gt;</h1>');
    expect(page).toContain('Continue with &lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img');
  });

  it('with several Connections, lists them; choosing a test Connection shows its form', async () => {
    const second = {
      ...testConnection,
      name: 'more-people',
      signIn: signIn({ displayName: 'More people', testUsers: [testUser('bob')] }),
    };
    h.source.snapshot = peopleWorld(h.keys, {
      connections: [second],
      clients: [
        peopleClient(
          { clientId: 'two.people', authMethod: 'none' },
          { connections: ['people/test-people', 'people/more-people'] },
        ),
      ],
    });
    const { page } = await loginPage(h, browser, { client_id: 'two.people' });
    const choose = formOf(page, '/login');
    expect(choose.buttons).toEqual([
      { name: 'connection', value: 'people/test-people', label: 'Continue with Test people' },
      { name: 'connection', value: 'people/more-people', label: 'Continue with More people' },
    ]);
    const chosen = await browser.follow(
      await browser.post(choose.action, { ...choose.fields, connection: 'people/more-people' }),
    );
    const form = await chosen.text();
    expect(form).toContain('<h2>More people</h2>');
    const res = await submitPassword(browser, form, 'bob', PEOPLE.bob.password);
    const back = await browser.follow(res);
    expect(new URL(back.headers.get('location') as string).searchParams.has('code')).toBe(true);
    // Alice is not declared in that Connection.
    const other = new Browser(h);
    const { page: page2 } = await loginPage(h, other, { client_id: 'two.people' });
    const f2 = formOf(page2, '/login');
    const form2 = await (
      await other.follow(await other.post(f2.action, { ...f2.fields, connection: 'people/more-people' }))
    ).text();
    expect((await submitPassword(other, form2, 'alice', PEOPLE.alice.password)).status).toBe(400);
  });

  it('refuses a Connection the client does not offer', async () => {
    const { page, requestId } = await loginPage(h, browser);
    const form = formOf(page, '/login/password');
    const res = await browser.post(form.action, {
      ...form.fields,
      connection: 'people/other',
      username: 'alice',
      password: PEOPLE.alice.password,
    });
    expect(res.status).toBe(400);
    expect((await browser.get(`/login?request=${requestId}&connection=people%2Fnope`)).status).toBe(400);
  });

  it('says so when the client offers no Connection', async () => {
    h.source.snapshot = peopleWorld(h.keys, {
      clients: [
        peopleClient(
          { clientId: 'none.people', authMethod: 'none' },
          { displayName: 'Lonely', connections: [] },
        ),
      ],
    });
    const { res, page } = await loginPage(h, browser, { client_id: 'none.people' });
    expect(res.status).toBe(400);
    expect(page).toContain('Lonely offers no way to sign in yet.');
  });

  it('an unknown, malformed or finished request is a page that says to start again', async () => {
    for (const query of ['', '?request=nope', '?request=%3Cscript%3E', '?request=a&request=b']) {
      const res = await browser.get(`/login${query}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This sign-in has expired');
    }
  });

  it('marks the request signed in, so prompt=login is satisfied by this sign-in', async () => {
    const { page, requestId } = await loginPage(h, browser, { prompt: 'login' });
    const signedIn = await submitPassword(browser, page, 'alice', PEOPLE.alice.password);
    const stored = await h.state.get<AuthorizationRequestRecord>(
      'authorization_request',
      requestId,
      h.clock.now,
    );
    expect(stored?.value.signedInAtMs).toBe(h.clock.now);
    const back = await browser.follow(signedIn);
    expect(new URL(back.headers.get('location') as string).searchParams.has('code')).toBe(true);
    const session = await h.state.get<SessionRecord>(
      'session',
      readCookie(browser.cookieHeader(), SESSION) as string,
      h.clock.now,
    );
    expect(session?.value).toMatchObject({ connection: 'people/test-people', amr: ['pwd'] });
    expect(
      await h.state.get('identity', identityKey('people/test-people', 'alice'), h.clock.now),
    ).toBeDefined();
  });

  it("a new sign-in replaces the browser's session (no session fixation)", async () => {
    const before = await signedInAs(h, 'usr_bob');
    browser.cookies.set(SESSION, before.id);
    const { page } = await loginPage(h, browser, { prompt: 'login' });
    await submitPassword(browser, page, 'alice', PEOPLE.alice.password);
    expect(browser.cookies.get(SESSION)).not.toBe(before.id);
    expect(await h.state.get('session', before.id, h.clock.now)).toBeUndefined();
  });

  it("the step after a sign-in needs this browser's token", async () => {
    const { page, requestId } = await loginPage(h, browser);
    const signedIn = await submitPassword(browser, page, 'alice', PEOPLE.alice.password);
    const next = new URL(signedIn.headers.get('location') as string);
    expect(next.pathname).toBe('/login/continue');
    for (const token of [
      '',
      'forged',
      next.searchParams.get('token')?.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
    ]) {
      const res = await browser.get(`/login/continue?request=${requestId}&token=${token ?? ''}`);
      expect(res.status).toBe(403);
    }
    expect(formsOf(await (await new Browser(h).get(next.href)).text())).toEqual([]);
  });

  it('logs failed and throttled sign-ins without the password, the token or any cookie', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    logEvents(h.events, createLogger(stream, 'debug'));
    const { page } = await loginPage(h, browser);
    const secrets = [
      'guess-password-0',
      'guess-password-1',
      'guess-password-2',
      'guess-password-3',
      'guess-password-4',
    ];
    for (const guess of secrets) await submitPassword(browser, page, 'alice', guess);
    await submitPassword(browser, page, 'alice', PEOPLE.alice.password);
    const log = lines.join('');
    expect(log).toContain('"event":"signIn.failed"');
    expect(log).toContain('"event":"signIn.throttled"');
    for (const secret of [
      ...secrets,
      PEOPLE.alice.password,
      formOf(page, '/login/password').fields.csrf ?? '',
      ...browser.cookies.values(),
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});

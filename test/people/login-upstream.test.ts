import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import type { UserRecord } from '../../src/people/records.ts';
import { formActionAllowed } from '../../src/people/login/upstream-sign-in.ts';
import { identityKey } from '../../src/people/users.ts';
import type { ConnectionSignIn } from '../../src/store/snapshot.ts';
import { COMPANY_PEOPLE, startCompanyIdp, type CompanyIdp } from '../support/oidc-upstream.ts';
import { authorizeUrl, pkce, webRequest } from './authorize-support.ts';
import {
  companyConnection,
  peopleClient,
  peopleWorld,
  startPeopleHarness,
  type PeopleHarness,
} from './harness.ts';
import { Browser, formOf } from './login-browser.ts';

/**
 * Signing in through an upstream `oidc` Connection at the hosted pages (issue 12), with node-oidc-provider as
 * the company IdP: the redirect there and back, the upstream `state` bound to the browser that started the
 * sign-in (RFC 9700 §4.7.1), an upstream `error`, and account linking by a verified email confirmed on a page.
 */

const CORP = 'corp/company-idp';

describe('formActionAllowed', () => {
  it.each([
    ['https://idp.example', 'https://idp.example/oauth2/auth?x=1', true],
    ['https://idp.example/tenant', 'https://idp.example/other/auth', true],
    ['https://idp.example', 'https://login.idp.example/auth', false],
    ['https://idp.example', 'http://idp.example/auth', false],
    ['https://idp.example:8443', 'https://idp.example/auth', false],
    [undefined, 'https://idp.example/auth', false],
  ])('a page allowing %s lets a choice redirect to %s: %s', (expected, actual, allowed) => {
    expect(formActionAllowed(expected, actual)).toBe(allowed);
  });
});

/** The corp app, offering `connections` (the test Connection and the company IdP's). */
function world(h: PeopleHarness, idp: CompanyIdp, connections: string[]) {
  return peopleWorld(h.keys, {
    connections: [companyConnection(idp.issuer)],
    clients: [
      peopleClient(
        { clientId: 'corp-app.people', authMethod: 'none' },
        { displayName: 'Corp app', connections },
      ),
    ],
  });
}

const CORP_APP = { client_id: 'corp-app.people' };

describe('upstream sign-in at the hosted pages', () => {
  let idp: CompanyIdp;
  let h: PeopleHarness;
  let browser: Browser;
  beforeAll(async () => {
    idp = await startCompanyIdp({ redirectUris: [] });
    h = await startPeopleHarness({ now: 'real', addressPolicy: { ...STRICT_POLICY, allowLoopback: true } });
    idp.registerRedirectUri(`${h.issuer}/login/callback`);
  });
  afterAll(async () => {
    await h.close();
    await idp.close();
  });
  beforeEach(() => {
    h.source.snapshot = world(h, idp, [CORP]);
    browser = new Browser(h);
  });

  /** Starts a request of the corp app; with one Connection the login page sends the browser upstream. */
  async function toUpstream(b: Browser = browser): Promise<URL> {
    const res = await b.follow(await b.get(authorizeUrl(h, webRequest(pkce().challenge, CORP_APP))));
    expect(res.status).toBe(303);
    return new URL(res.headers.get('location') as string);
  }

  it('with one upstream Connection, goes straight there and back with a code for a new user', async () => {
    const upstream = await toUpstream();
    expect(upstream.origin + upstream.pathname).toBe(`${idp.issuer}/auth`);
    expect(upstream.searchParams.get('redirect_uri')).toBe(`${h.issuer}/login/callback`);
    expect(browser.cookies.has('latchkey-browser')).toBe(true);
    const callback = await idp.signIn(upstream.href, 'emp-1001');
    const back = await browser.follow(await browser.get(callback.href));
    const code = new URL(back.headers.get('location') as string);
    expect(code.origin + code.pathname).toBe('https://app.example.com/callback');
    expect(code.searchParams.has('code')).toBe(true);
    const identity = await h.state.get<{ userId: string }>(
      'identity',
      identityKey(CORP, 'emp-1001'),
      Date.now(),
    );
    const user = await h.state.get<UserRecord>('user', identity?.value.userId as string, Date.now());
    expect(user?.value).toMatchObject({
      email: 'carol@corp.example',
      emailVerified: true,
      name: 'Carol Corp',
    });
  });

  it("refuses the upstream's answer in another browser (login CSRF), and counts a state_mismatch", async () => {
    const failures = h.seen('signIn.failed');
    const attackers: [string, (b: Browser) => void][] = [
      ['another browser cookie', (b) => b.cookies.set('latchkey-browser', 'a'.repeat(43))],
      ['no browser cookie', () => undefined],
    ];
    for (const [, prepare] of attackers) {
      const callback = await idp.signIn((await toUpstream()).href, 'emp-1001');
      const other = new Browser(h);
      prepare(other);
      const res = await other.get(callback.href);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This sign-in does not match');
      expect(other.cookies.has('latchkey-session')).toBe(false);
      // The record was spent by that try: not even the right browser can use it now.
      expect((await browser.get(callback.href)).status).toBe(400);
    }
    expect(failures.map((f) => f.reason)).toEqual(Array(4).fill('state_mismatch'));
  });

  it('refuses a callback without a state, or with one never sent', async () => {
    await toUpstream();
    for (const query of ['', '?code=x', '?state=never-sent&code=x', '?state=a&state=b']) {
      const res = await browser.get(`/login/callback${query}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('This sign-in does not match');
    }
  });

  it("shows the upstream's error, escaped and short, and signs nobody in", async () => {
    const failures = h.seen('signIn.failed');
    const upstream = await toUpstream();
    const state = upstream.searchParams.get('state') as string;
    const res = await browser.get(
      `/login/callback?state=${state}&error=${encodeURIComponent('<script>alert(1)</script>')}&error_description=x`,
    );
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('<h1>Company IdP did not sign you in</h1>');
    expect(page).toContain('Company IdP said: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>');
    expect(browser.cookies.has('latchkey-session')).toBe(false);
    expect(failures.at(-1)).toMatchObject({ reason: 'upstream_denied', connection: CORP });
  });

  it('a failed code exchange upstream is a page, not a 5xx', async () => {
    const upstream = await toUpstream();
    const res = await browser.get(`/login/callback?state=${upstream.searchParams.get('state')}&code=forged`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Company IdP did not sign you in');
  });

  it('with several Connections, the login page allows its forms to reach the IdP, and choosing it goes there', async () => {
    h.source.snapshot = world(h, idp, ['people/test-people', CORP]);
    const login = await browser.follow(
      await browser.get(authorizeUrl(h, webRequest(pkce().challenge, CORP_APP))),
    );
    expect(login.headers.get('content-security-policy')).toContain(`form-action 'self' ${idp.issuer};`);
    const choose = formOf(await login.text(), '/login');
    const res = await browser.post(choose.action, { ...choose.fields, connection: CORP });
    expect(res.status).toBe(303);
    const callback = await idp.signIn(res.headers.get('location') as string, 'emp-1002');
    const back = await browser.follow(await browser.get(callback.href));
    expect(new URL(back.headers.get('location') as string).searchParams.has('code')).toBe(true);
  });
});

describe('account linking through the hosted pages (userMatchingMode email_link)', () => {
  let idp: CompanyIdp;
  let h: PeopleHarness;
  beforeAll(async () => {
    idp = await startCompanyIdp({ redirectUris: [] });
    h = await startPeopleHarness({ now: 'real', addressPolicy: { ...STRICT_POLICY, allowLoopback: true } });
    idp.registerRedirectUri(`${h.issuer}/login/callback`);
  });
  afterAll(async () => {
    await h.close();
    await idp.close();
  });

  /** A user who signed in through the test Connection with `email`, verified. */
  async function existingUser(email: string): Promise<string> {
    const { resolveUser } = await import('../../src/people/users.ts');
    const result = await resolveUser(
      h.state,
      { userMatchingMode: 'identifier', trustEmail: false },
      {
        connection: 'people/test-people',
        subject: `holder-of-${email}`,
        email,
        emailVerified: true,
        groups: [],
        amr: ['pwd'],
      },
      Date.now(),
    );
    if (result.kind !== 'signed_in') throw new Error('expected a user');
    return result.user.id;
  }

  async function signInUpstream(accountId: string, overrides: Partial<ConnectionSignIn>) {
    h.source.snapshot = peopleWorld(h.keys, {
      connections: [companyConnection(idp.issuer, overrides)],
      clients: [
        peopleClient(
          { clientId: 'corp-app.people', authMethod: 'none' },
          { displayName: 'Corp app', connections: [CORP] },
        ),
      ],
    });
    const browser = new Browser(h);
    const up = await browser.follow(
      await browser.get(authorizeUrl(h, webRequest(pkce().challenge, CORP_APP))),
    );
    const callback = await idp.signIn(
      up.headers.get('location') as string,
      accountId,
      COMPANY_PEOPLE[accountId]?.password,
    );
    return { browser, res: await browser.get(callback.href) };
  }

  async function userOf(accountId: string): Promise<string | undefined> {
    return (await h.state.get<{ userId: string }>('identity', identityKey(CORP, accountId), Date.now()))
      ?.value.userId;
  }

  it('a verified email from a trusted Connection links after the person confirms on a page', async () => {
    const existing = await existingUser('carol@corp.example');
    const { browser, res } = await signInUpstream('emp-1001', {
      userMatchingMode: 'email_link',
      trustEmail: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://app.example.com;",
    );
    const page = await res.text();
    expect(page).toContain('An account with the email carol@corp.example already exists.');
    expect(browser.cookies.has('latchkey-session')).toBe(false);
    const form = formOf(page, '/login/link');
    const linked = await browser.post(form.action, { ...form.fields, decision: 'link' });
    const back = await browser.follow(linked);
    expect(new URL(back.headers.get('location') as string).searchParams.has('code')).toBe(true);
    expect(await userOf('emp-1001')).toBe(existing);
    // The pending link was spent: posting it again links nothing more.
    expect((await browser.post(form.action, { ...form.fields, decision: 'link' })).status).toBe(400);
  });

  it('cancelling the link sends access_denied and links nothing', async () => {
    await h.state.consume('identity', identityKey(CORP, 'emp-1001'), Date.now());
    const { browser, res } = await signInUpstream('emp-1001', {
      userMatchingMode: 'email_link',
      trustEmail: true,
    });
    const form = formOf(await res.text(), '/login/link');
    const cancelled = await browser.post(form.action, { ...form.fields, decision: 'cancel' });
    expect(new URL(cancelled.headers.get('location') as string).searchParams.get('error')).toBe(
      'access_denied',
    );
    expect(await userOf('emp-1001')).toBeUndefined();
  });

  it('a link confirmation from another browser is refused', async () => {
    const { res } = await signInUpstream('emp-1001', { userMatchingMode: 'email_link', trustEmail: true });
    const form = formOf(await res.text(), '/login/link');
    const attacker = new Browser(h);
    attacker.cookies.set('latchkey-browser', 'z'.repeat(43));
    expect((await attacker.post(form.action, { ...form.fields, decision: 'link' })).status).toBe(403);
    expect(await userOf('emp-1001')).toBeUndefined();
  });

  it('CVE-2026-9087: an unverified email never reaches the link page; the person gets a user of their own', async () => {
    const holder = await existingUser('dave@corp.example');
    const { browser, res } = await signInUpstream('emp-1002', {
      userMatchingMode: 'email_link',
      trustEmail: true,
    });
    expect(res.status).toBe(303);
    await browser.follow(res);
    expect(await userOf('emp-1002')).not.toBe(holder);
    expect(await userOf('emp-1002')).toMatch(/^usr_/);
  });

  it('keycloak#53041: a Connection not trusted for email never reaches the link page', async () => {
    const holder = await existingUser('erin@elsewhere.example');
    const { res } = await signInUpstream('emp-1003', { userMatchingMode: 'email_link', trustEmail: false });
    expect(res.status).toBe(303);
    expect(await userOf('emp-1003')).not.toBe(holder);
  });

  it('email_deny: an email another user holds is refused with a page that says why', async () => {
    await h.state.consume('identity', identityKey(CORP, 'emp-1001'), Date.now());
    const failures = h.seen('signIn.failed');
    const { res } = await signInUpstream('emp-1001', { userMatchingMode: 'email_deny' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Another account already has this email address.');
    expect(failures.at(-1)).toMatchObject({ reason: 'account_refused', detail: 'email_in_use' });
  });
});

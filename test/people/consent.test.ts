import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthorizationRequestRecord, SessionRecord } from '../../src/people/records.ts';
import { readCookie, sessionCookieName } from '../../src/people/session.ts';
import { authorizeUrl, pkce } from './authorize-support.ts';
import { peopleClient, peopleWorld, PEOPLE, startPeopleHarness, type PeopleHarness } from './harness.ts';
import { Browser, formOf } from './login-browser.ts';
import { grant } from '../http/world.ts';
import { payments } from '../http/harness.ts';
import { compileApis } from '../../src/store/compile/apis.ts';
import type { DeclaredResourceServer } from '../../src/store/objects.ts';
import type { CompiledApi } from '../../src/store/snapshot.ts';
import { declare } from '../store/world.ts';

/**
 * The consent page of third-party clients (issue 12): the client's name and the scopes in words, Allow or Deny,
 * and the ways around it that must not work: another request's token, a replayed answer, a forged URL.
 */

const REDIRECT = 'https://other.example.net/cb';

function thirdPartyRequest(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: 'third-party.people',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid email offline_access payments:read',
    resource: 'https://payments.internal',
    state: 'tp-state',
    nonce: 'tp-nonce',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
}

/** Signs alice in for a third-party request and follows on to the consent page. */
async function consentPage(h: PeopleHarness, browser: Browser, overrides: Record<string, string> = {}) {
  const login = await browser.follow(await browser.get(authorizeUrl(h, thirdPartyRequest(overrides))));
  let res = login;
  const page = await login.text();
  if (page.includes('/login/password')) {
    const form = formOf(page, '/login/password');
    res = await browser.follow(
      await browser.post(form.action, { ...form.fields, username: 'alice', password: PEOPLE.alice.password }),
    );
  }
  const text = res === login ? page : await res.text();
  return { res, page: text, requestId: /name="request" value="([^"]+)"/.exec(text)?.[1] ?? '' };
}

describe('GET /consent and POST /consent', () => {
  let h: PeopleHarness;
  let browser: Browser;
  beforeEach(async () => {
    h = await startPeopleHarness();
    h.source.snapshot = peopleWorld(h.keys, {
      clients: [
        peopleClient(
          { clientId: 'third-party.people', secrets: ['s'], grants: [grant(payments, ['payments:read'])] },
          { displayName: 'Third-party app', firstParty: false, redirectUris: [REDIRECT] },
        ),
      ],
    });
    browser = new Browser(h);
  });
  afterEach(() => h.close());

  it("shows the client's name and the scopes in words, with the pages' headers", async () => {
    const { res, page } = await consentPage(h, browser);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://other.example.net;",
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(page).toContain('<h1>Third-party app wants access to your account</h1>');
    const items = [...page.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    expect(items).toEqual([
      'Know who you are',
      'See your email address',
      'Keep access while you are not using it',
      'payments:read (https://payments.internal)',
    ]);
    expect(formOf(page, '/consent').buttons.map((b) => `${b.name}=${b.value}:${b.label}`)).toEqual([
      'decision=allow:Allow',
      'decision=deny:Deny',
    ]);
  });

  it('Allow records the consent and sends a code; the next request of the same scopes asks no more', async () => {
    const { page } = await consentPage(h, browser);
    const form = formOf(page, '/consent');
    const res = await browser.post(form.action, { ...form.fields, decision: 'allow' });
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location') as string);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('tp-state');
    expect(back.searchParams.has('code')).toBe(true);
    const id = readCookie(browser.cookieHeader(), sessionCookieName(false)) as string;
    const session = await h.state.get<SessionRecord>('session', id, h.clock.now);
    expect(session?.value.consents['third-party.people']).toEqual([
      'openid',
      'email',
      'offline_access',
      'payments:read',
    ]);
    const again = await browser.get(authorizeUrl(h, thirdPartyRequest()));
    expect(new URL(again.headers.get('location') as string).searchParams.has('code')).toBe(true);
  });

  it('Deny sends access_denied with state and iss, and records nothing', async () => {
    const { page, requestId } = await consentPage(h, browser);
    const form = formOf(page, '/consent');
    const res = await browser.post(form.action, { ...form.fields, decision: 'deny' });
    const back = new URL(res.headers.get('location') as string);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the person denied access',
      state: 'tp-state',
      iss: h.issuer,
    });
    expect(await h.state.get('authorization_request', requestId, h.clock.now)).toBeUndefined();
  });

  it('a replayed Allow finds the request spent and issues nothing', async () => {
    const { page } = await consentPage(h, browser);
    const form = formOf(page, '/consent');
    expect((await browser.post(form.action, { ...form.fields, decision: 'allow' })).status).toBe(303);
    const replay = await browser.post(form.action, { ...form.fields, decision: 'allow' });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
  });

  it("an Allow with another request's token is refused, and the other request is not consented", async () => {
    const first = await consentPage(h, browser);
    const second = await consentPage(h, browser, { state: 'second' });
    expect(second.requestId).not.toBe(first.requestId);
    const form = formOf(first.page, '/consent');
    const res = await browser.post(form.action, {
      ...form.fields,
      request: second.requestId,
      decision: 'allow',
    });
    expect(res.status).toBe(403);
    const stored = await h.state.get<AuthorizationRequestRecord>(
      'authorization_request',
      second.requestId,
      h.clock.now,
    );
    expect(stored?.value.consented).toBeUndefined();
  });

  it("an Allow from another browser (its own cookie, this page's token) is refused", async () => {
    const { page } = await consentPage(h, browser);
    const form = formOf(page, '/consent');
    const attacker = new Browser(h);
    await consentPage(h, attacker, { state: 'attacker' });
    expect((await attacker.post(form.action, { ...form.fields, decision: 'allow' })).status).toBe(403);
  });

  it('a GET with forged parameters shows the page and changes nothing', async () => {
    const { requestId } = await consentPage(h, browser);
    const res = await browser.get(`/consent?request=${requestId}&decision=allow&consented=true&scope=openid`);
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    const stored = await h.state.get<AuthorizationRequestRecord>(
      'authorization_request',
      requestId,
      h.clock.now,
    );
    expect(stored?.value.consented).toBeUndefined();
    const session = await h.state.get<SessionRecord>(
      'session',
      readCookie(browser.cookieHeader(), sessionCookieName(false)) as string,
      h.clock.now,
    );
    expect(session?.value.consents).toEqual({});
  });

  it('a decision that is neither allow nor deny is a 400 page', async () => {
    const { page } = await consentPage(h, browser);
    const form = formOf(page, '/consent');
    expect((await browser.post(form.action, { ...form.fields, decision: 'maybe' })).status).toBe(400);
  });

  it('without a session the consent page sends the person to sign in', async () => {
    const { requestId } = await consentPage(h, browser);
    const res = await new Browser(h).get(`/consent?request=${requestId}`);
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get('location') as string).pathname).toBe('/login');
  });

  it('escapes a hostile client name', async () => {
    h.source.snapshot = peopleWorld(h.keys, {
      clients: [
        peopleClient(
          { clientId: 'third-party.people', secrets: ['s'] },
          { displayName: '<b onmouseover=alert(1)>Evil</b>', firstParty: false, redirectUris: [REDIRECT] },
        ),
      ],
    });
    const { page } = await consentPage(h, browser, { scope: 'openid' });
    expect(page).toContain('&lt;b onmouseover=alert(1)&gt;Evil&lt;/b&gt; wants access');
    expect(page).not.toContain('<b ');
  });
});

describe('the words of API scopes on the consent page', () => {
  let h: PeopleHarness;
  beforeEach(async () => {
    h = await startPeopleHarness();
  });
  afterEach(() => h.close());

  it("come from the ResourceServer's displayName and scope descriptions as compiled, else the scope name", async () => {
    const { apis } = compileApis([
      declare.api('payments', 'payments-api', {
        identifier: 'https://payments.internal',
        displayName: 'Payments <API>',
        scopes: [{ name: 'payments:read', description: 'Read your payments' }, { name: 'payments:write' }],
      }) as DeclaredResourceServer,
    ]);
    const described = apis.get('https://payments.internal') as CompiledApi;
    h.source.snapshot = peopleWorld(h.keys, {
      clients: [
        peopleClient(
          {
            clientId: 'third-party.people',
            secrets: ['s'],
            grants: [grant(described, ['payments:read', 'payments:write'])],
          },
          { displayName: 'Third-party app', firstParty: false, redirectUris: [REDIRECT] },
        ),
      ],
    });
    const { page } = await consentPage(h, new Browser(h), {
      scope: 'openid profile payments:read payments:write',
    });
    expect([...page.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1])).toEqual([
      'Know who you are',
      'See your name and username',
      'Read your payments (Payments &lt;API&gt;)',
      'payments:write (Payments &lt;API&gt;)',
    ]);
  });
});

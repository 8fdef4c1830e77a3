import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationCodeRecord, AuthorizationRequestRecord } from '../../src/people/records.ts';
import { peopleClient, peopleWorld, startPeopleHarness, type PeopleHarness } from './harness.ts';
import {
  authorizeUrl,
  get,
  pkce,
  postForm,
  queryOf,
  seeOther,
  signedIn,
  webRequest,
  type Pkce,
} from './authorize-support.ts';

let h: PeopleHarness;
let p: Pkce;

beforeAll(async () => {
  h = await startPeopleHarness();
  h.source.snapshot = peopleWorld(h.keys, {
    clients: [
      peopleClient(
        { clientId: 'loopback-web.people', secrets: ['s'] },
        { redirectUris: ['http://127.0.0.1/callback'] },
      ),
      peopleClient(
        { clientId: 'localhost-cli.people', authMethod: 'none' },
        { appType: 'native', redirectUris: ['http://localhost/callback'] },
      ),
      peopleClient(
        { clientId: 'par-only.people', secrets: ['s'] },
        { redirectUris: ['https://par.example.com/cb'], requirePushedAuthorizationRequests: true },
      ),
      peopleClient(
        { clientId: 'two-uris.people', secrets: ['s'] },
        {
          redirectUris: ['https://a.example.com/cb', 'https://b.example.com/cb'],
        },
      ),
    ],
  });
  p = pkce();
});
afterAll(() => h.close());

function expectPageHeaders(res: Response): void {
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

/** An error page: 400, HTML, no Location: the client is not redirected to. */
async function expectNoRedirect(res: Response, says: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  expectPageHeaders(res);
  expect(await res.text()).toContain(says);
}

function expectError(
  location: URL,
  redirectUri: string,
  error: string,
  state: string | null = 'state-1',
): void {
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  const q = queryOf(location);
  expect(q.error).toEqual([error]);
  expect(q.error_description?.[0]).toMatch(/\S/);
  expect(q.state).toEqual(state === null ? undefined : [state]);
  expect(q.iss).toEqual([h.issuer]);
  expect(q.code).toBeUndefined();
}

async function storedRequest(location: URL): Promise<AuthorizationRequestRecord | undefined> {
  const id = location.searchParams.get('request') ?? '';
  return (await h.state.get<AuthorizationRequestRecord>('authorization_request', id, h.clock.now))?.value;
}

describe('GET /oauth2/authorize without a session', () => {
  it('stores the request and sends the browser to the login page with its id', async () => {
    const location = seeOther(
      await get(authorizeUrl(h, webRequest(p.challenge, { prompt: 'login', max_age: '300' }))),
    );
    expect(`${location.origin}${location.pathname}`).toBe(`${h.issuer}/login`);
    expect(location.searchParams.get('request')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await storedRequest(location)).toEqual({
      clientId: 'web-app.people',
      redirectUri: 'https://app.example.com/callback',
      scopes: ['openid', 'email'],
      state: 'state-1',
      nonce: 'nonce-1',
      codeChallenge: p.challenge,
      prompt: ['login'],
      maxAgeSeconds: 300,
      resources: [],
      pushed: false,
      createdAtMs: h.clock.now,
    });
  });

  it('accepts the same request as a POSTed form (OpenID Connect Core §3.1.2.1)', async () => {
    const res = await postForm(
      `${h.issuer}/oauth2/authorize`,
      new URLSearchParams(webRequest(p.challenge)).toString(),
    );
    expect(seeOther(res).pathname).toBe('/login');
  });

  it('accepts an omitted redirect_uri when the client registers exactly one', async () => {
    const location = seeOther(
      await get(authorizeUrl(h, webRequest(p.challenge, { redirect_uri: undefined }))),
    );
    expect((await storedRequest(location))?.redirectUri).toBe('https://app.example.com/callback');
  });

  it("accepts a native client's loopback redirect on any port (RFC 8252 §7.3)", async () => {
    const params = webRequest(p.challenge, {
      client_id: 'cli.people',
      redirect_uri: 'http://127.0.0.1:51234/callback',
    });
    const location = seeOther(await get(authorizeUrl(h, params)));
    expect((await storedRequest(location))?.redirectUri).toBe('http://127.0.0.1:51234/callback');
  });

  it('answers prompt=none with login_required, state and iss', async () => {
    const location = seeOther(await get(authorizeUrl(h, webRequest(p.challenge, { prompt: 'none' }))));
    expectError(location, 'https://app.example.com/callback', 'login_required');
  });
});

describe('GET /oauth2/authorize: refused without a redirect (RFC 6749 §4.1.2.1)', () => {
  const cases: [string, Record<string, string | undefined>, string][] = [
    ['client_id is missing', { client_id: undefined }, 'client_id is missing'],
    ['client_id is unknown', { client_id: 'nobody' }, 'not known'],
    ['the client is a machine client', { client_id: 'machine.people' }, 'cannot sign people in'],
    ['redirect_uri is not registered', { redirect_uri: 'https://evil.example/callback' }, 'not registered'],
    [
      'redirect_uri differs by a trailing slash',
      { redirect_uri: 'https://app.example.com/callback/' },
      'not registered',
    ],
    ['redirect_uri adds a query', { redirect_uri: 'https://app.example.com/callback?x=1' }, 'not registered'],
    ['redirect_uri is too long', { redirect_uri: `https://app.example.com/${'a'.repeat(5000)}` }, 'too long'],
    [
      "a web client's loopback redirect names another port",
      { client_id: 'loopback-web.people', redirect_uri: 'http://127.0.0.1:51234/callback' },
      'not registered',
    ],
    [
      "a native client's localhost redirect names another port",
      { client_id: 'localhost-cli.people', redirect_uri: 'http://localhost:51234/callback' },
      'not registered',
    ],
    [
      'redirect_uri is omitted and two are registered',
      { client_id: 'two-uris.people', redirect_uri: undefined },
      'where to return',
    ],
  ];
  it.each(cases)('when %s', async (_, overrides, says) => {
    await expectNoRedirect(await get(authorizeUrl(h, webRequest(p.challenge, overrides))), says);
  });

  it('when client_id is repeated', async () => {
    const query = `${new URLSearchParams(webRequest(p.challenge))}&client_id=web-app.people`;
    await expectNoRedirect(await get(authorizeUrl(h, query)), 'more than once');
  });

  it('when redirect_uri is repeated, even with the registered value', async () => {
    const query = `${new URLSearchParams(webRequest(p.challenge))}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback`;
    await expectNoRedirect(await get(authorizeUrl(h, query)), 'more than once');
  });

  it('escapes what it shows and never echoes the request', async () => {
    const res = await get(
      authorizeUrl(h, webRequest(p.challenge, { client_id: '<script>alert(1)</script>' })),
    );
    const body = await res.text();
    expect(body).not.toContain('<script>');
    expect(body).not.toContain(p.challenge);
  });
});

describe('GET /oauth2/authorize: errors redirected to the client with state and iss (RFC 9207)', () => {
  const cases: [string, Record<string, string | undefined>, string][] = [
    ['response_type=token (implicit)', { response_type: 'token' }, 'unsupported_response_type'],
    ['response_type is missing', { response_type: undefined }, 'invalid_request'],
    ['code_challenge is missing', { code_challenge: undefined }, 'invalid_request'],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    [
      'code_challenge_method is missing (a downgrade to plain)',
      { code_challenge_method: undefined },
      'invalid_request',
    ],
    ['prompt names an unknown value', { prompt: 'always' }, 'invalid_request'],
    ['prompt=none comes with consent', { prompt: 'none consent' }, 'invalid_request'],
    ['max_age is not a number', { max_age: 'soon' }, 'invalid_request'],
    ['a request object is sent', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    [
      'request_uri was not pushed here',
      { request_uri: 'https://client.example/req.jwt' },
      'invalid_request_uri',
    ],
  ];
  it.each(cases)('when %s', async (_, overrides, error) => {
    const location = seeOther(await get(authorizeUrl(h, webRequest(p.challenge, overrides))));
    expectError(location, 'https://app.example.com/callback', error);
  });

  it('when scope is repeated', async () => {
    const query = `${new URLSearchParams(webRequest(p.challenge))}&scope=openid`;
    expectError(
      seeOther(await get(authorizeUrl(h, query))),
      'https://app.example.com/callback',
      'invalid_request',
    );
  });

  it('without state when state is repeated', async () => {
    const query = `${new URLSearchParams(webRequest(p.challenge))}&state=other`;
    expectError(
      seeOther(await get(authorizeUrl(h, query))),
      'https://app.example.com/callback',
      'invalid_request',
      null,
    );
  });

  it('when the client must push its requests (RFC 9126 §6) and did not', async () => {
    const params = webRequest(p.challenge, {
      client_id: 'par-only.people',
      redirect_uri: 'https://par.example.com/cb',
    });
    expectError(
      seeOther(await get(authorizeUrl(h, params))),
      'https://par.example.com/cb',
      'invalid_request',
    );
  });
});

describe('GET /oauth2/authorize with a session', () => {
  it('answers with a code, state and iss, and binds the code to the request and the session', async () => {
    const browser = await signedIn(h);
    const location = seeOther(await get(authorizeUrl(h, webRequest(p.challenge)), browser.cookie));
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example.com/callback');
    const q = queryOf(location);
    expect(Object.keys(q).sort()).toEqual(['code', 'iss', 'state']);
    expect(q.state).toEqual(['state-1']);
    expect(q.iss).toEqual([h.issuer]);
    const code = q.code?.[0] ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await h.state.get<AuthorizationCodeRecord>('authorization_code', code, h.clock.now);
    expect(stored?.value).toEqual({
      clientId: 'web-app.people',
      redirectUri: 'https://app.example.com/callback',
      codeChallenge: p.challenge,
      scopes: ['openid', 'email'],
      resources: [],
      nonce: 'nonce-1',
      userId: 'usr_alice',
      sid: browser.sid,
      authTime: Math.floor(h.clock.now / 1000),
      amr: ['pwd'],
      // A session from createSession records no facts: the Connection alone.
      facts: { connection: 'people/test-people', groups: [] },
    });
    expect(stored?.expiresAtMs).toBeLessThanOrEqual(h.clock.now + 60_000);
  });

  it("keeps the registered redirect URI's own query and a native client's port", async () => {
    const browser = await signedIn(h);
    const params = webRequest(p.challenge, {
      client_id: 'cli.people',
      redirect_uri: 'http://127.0.0.1:40001/callback',
    });
    const location = seeOther(await get(authorizeUrl(h, params), browser.cookie));
    expect(location.host).toBe('127.0.0.1:40001');
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('sends the person to sign in again for prompt=login and for max_age exceeded', async () => {
    const browser = await signedIn(h);
    h.clock.now += 120_000;
    try {
      for (const extra of [{ prompt: 'login' }, { max_age: '60' }, { prompt: 'select_account' }]) {
        const location = seeOther(await get(authorizeUrl(h, webRequest(p.challenge, extra)), browser.cookie));
        expect(location.pathname).toBe('/login');
      }
      const fresh = seeOther(
        await get(authorizeUrl(h, webRequest(p.challenge, { max_age: '600' })), browser.cookie),
      );
      expect(fresh.searchParams.get('code')).not.toBeNull();
    } finally {
      h.clock.now -= 120_000;
    }
  });

  it('sends the person to sign in when the session came through a Connection the client does not offer', async () => {
    const browser = await signedIn(h, 'usr_carol', 'people/elsewhere');
    const location = seeOther(await get(authorizeUrl(h, webRequest(p.challenge)), browser.cookie));
    expect(location.pathname).toBe('/login');
  });

  it('ignores a cookie that names no session', async () => {
    const location = seeOther(
      await get(authorizeUrl(h, webRequest(p.challenge)), `latchkey-session=${'x'.repeat(43)}`),
    );
    expect(location.pathname).toBe('/login');
  });

  it("sends a third-party client's request to the consent page, or consent_required with prompt=none", async () => {
    const browser = await signedIn(h);
    const params = webRequest(p.challenge, {
      client_id: 'third-party.people',
      redirect_uri: 'https://other.example.net/cb',
    });
    const location = seeOther(await get(authorizeUrl(h, params), browser.cookie));
    expect(`${location.origin}${location.pathname}`).toBe(`${h.issuer}/consent`);
    expect((await storedRequest(location))?.clientId).toBe('third-party.people');
    const none = seeOther(await get(authorizeUrl(h, { ...params, prompt: 'none' }), browser.cookie));
    expectError(none, 'https://other.example.net/cb', 'consent_required');
  });
});

describe('/oauth2/authorize and bad input', () => {
  it('answers other methods with 405', async () => {
    const res = await fetch(authorizeUrl(h, webRequest(p.challenge)), { method: 'PUT', redirect: 'manual' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('answers a POST that is not a form with an error page', async () => {
    const res = await fetch(`${h.issuer}/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webRequest(p.challenge)),
    });
    expect(res.status).toBe(400);
    expectPageHeaders(res);
  });

  it.each(['__proto__', 'constructor', '%zz', '%00', 'a'.repeat(5000)])(
    'never fails with a 5xx for client_id %s',
    async (value) => {
      const res = await get(`${h.issuer}/oauth2/authorize?client_id=${value}&response_type=code`);
      expect(res.status).toBe(400);
    },
  );
});

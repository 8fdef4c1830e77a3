import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationRequestRecord } from '../../src/people/records.ts';
import { basic, form } from '../http/harness.ts';
import { peopleClient, peopleWorld, startPeopleHarness, WEB_SECRET, type PeopleHarness } from './harness.ts';
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
const WEB_AUTH = { authorization: basic('web-app.people', WEB_SECRET) };

beforeAll(async () => {
  h = await startPeopleHarness();
  h.source.snapshot = peopleWorld(h.keys, {
    clients: [
      peopleClient(
        { clientId: 'par-only.people', secrets: ['par-secret'] },
        { redirectUris: ['https://par.example.com/cb'], requirePushedAuthorizationRequests: true },
      ),
    ],
  });
  p = pkce();
});
afterAll(() => h.close());

function par(params: Record<string, string>, headers: Record<string, string> = WEB_AUTH): Promise<Response> {
  return postForm(`${h.issuer}/oauth2/par`, form(params), headers);
}

/** Pushes the web client's request and returns its `request_uri`. */
async function pushed(overrides: Record<string, string | undefined> = {}): Promise<string> {
  const res = await par(webRequest(p.challenge, overrides));
  expect(res.status).toBe(201);
  return ((await res.json()) as { request_uri: string }).request_uri;
}

describe('POST /oauth2/par (RFC 9126)', () => {
  it('answers 201 with a one-time request_uri that expires in 60 seconds', async () => {
    const res = await par(webRequest(p.challenge));
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['expires_in', 'request_uri']);
    expect(body.expires_in).toBe(60);
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
  });

  it('takes the pushed request at the authorization endpoint once, then refuses the request_uri', async () => {
    const requestUri = await pushed();
    const first = seeOther(
      await get(authorizeUrl(h, { client_id: 'web-app.people', request_uri: requestUri })),
    );
    expect(first.pathname).toBe('/login');
    const id = first.searchParams.get('request') ?? '';
    expect(requestUri.endsWith(id)).toBe(false);
    const stored = await h.state.get<AuthorizationRequestRecord>('authorization_request', id, h.clock.now);
    expect(stored?.value).toMatchObject({
      clientId: 'web-app.people',
      state: 'state-1',
      pushed: true,
      codeChallenge: p.challenge,
    });

    const again = seeOther(
      await get(authorizeUrl(h, { client_id: 'web-app.people', request_uri: requestUri })),
    );
    expect(queryOf(again)).toEqual({
      error: ['invalid_request_uri'],
      error_description: [expect.any(String)],
      iss: [h.issuer],
    });
  });

  it('answers a pushed request of a signed-in person with a code, the pushed state and iss', async () => {
    const browser = await signedIn(h);
    const requestUri = await pushed({ state: 'pushed-state' });
    const location = seeOther(
      await get(
        authorizeUrl(h, { client_id: 'web-app.people', request_uri: requestUri, scope: 'openid email' }),
        browser.cookie,
      ),
    );
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example.com/callback');
    expect(location.searchParams.get('state')).toBe('pushed-state');
    expect(location.searchParams.get('iss')).toBe(h.issuer);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('lets a client that must push its requests sign people in through PAR', async () => {
    const params = webRequest(p.challenge, {
      client_id: 'par-only.people',
      redirect_uri: 'https://par.example.com/cb',
    });
    const res = await par(params, { authorization: basic('par-only.people', 'par-secret') });
    const { request_uri } = (await res.json()) as { request_uri: string };
    const location = seeOther(await get(authorizeUrl(h, { client_id: 'par-only.people', request_uri })));
    expect(location.pathname).toBe('/login');
  });

  it('refuses a request_uri presented by another client', async () => {
    const requestUri = await pushed();
    const params = { client_id: 'spa.people', request_uri: requestUri };
    const location = seeOther(await get(authorizeUrl(h, params)));
    expect(`${location.origin}${location.pathname}`).toBe('https://spa.example.com/cb');
    expect(location.searchParams.get('error')).toBe('invalid_request_uri');
  });

  it('refuses a request_uri after 60 seconds', async () => {
    const requestUri = await pushed();
    h.clock.now += 61_000;
    try {
      const location = seeOther(
        await get(authorizeUrl(h, { client_id: 'web-app.people', request_uri: requestUri })),
      );
      expect(location.searchParams.get('error')).toBe('invalid_request_uri');
    } finally {
      h.clock.now -= 61_000;
    }
  });

  it.each([
    ['redirect_uri', 'https://evil.example/callback'],
    ['redirect_uri', 'https://app.example.com/callback/'],
    ['state', 'swapped'],
    ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
    ['scope', 'openid offline_access'],
    ['prompt', 'none'],
  ])(
    'refuses a front-channel %s that contradicts the pushed request, to the pushed redirect URI',
    async (name, value) => {
      const requestUri = await pushed();
      const location = seeOther(
        await get(authorizeUrl(h, { client_id: 'web-app.people', request_uri: requestUri, [name]: value })),
      );
      expect(`${location.origin}${location.pathname}`).toBe('https://app.example.com/callback');
      expect(queryOf(location)).toMatchObject({
        error: ['invalid_request'],
        state: ['state-1'],
        iss: [h.issuer],
      });
    },
  );

  it('accepts a public client that names itself with client_id', async () => {
    const params = webRequest(p.challenge, {
      client_id: 'spa.people',
      redirect_uri: 'https://spa.example.com/cb',
    });
    expect((await par(params, {})).status).toBe(201);
  });

  it.each([
    ['no credentials from a confidential client', {}, {}, 401, 'invalid_client'],
    ['a wrong secret', {}, { authorization: basic('web-app.people', 'wrong') }, 401, 'invalid_client'],
    ['an unknown client_id', { client_id: 'nobody' }, {}, 401, 'invalid_client'],
    [
      'a machine client',
      { client_id: 'machine.people', redirect_uri: 'https://app.example.com/callback' },
      { authorization: basic('machine.people', 'machine-secret-1') },
      400,
      'unauthorized_client',
    ],
    ['plain PKCE', { code_challenge_method: 'plain' }, WEB_AUTH, 400, 'invalid_request'],
    ['no PKCE', { code_challenge: undefined }, WEB_AUTH, 400, 'invalid_request'],
    ['response_type=token', { response_type: 'token' }, WEB_AUTH, 400, 'unsupported_response_type'],
    [
      'an unregistered redirect_uri',
      { redirect_uri: 'https://evil.example/cb' },
      WEB_AUTH,
      400,
      'invalid_request',
    ],
    [
      'a request_uri',
      { request_uri: 'urn:ietf:params:oauth:request_uri:x' },
      WEB_AUTH,
      400,
      'invalid_request',
    ],
    ['a request object', { request: 'e30.e30.' }, WEB_AUTH, 400, 'request_not_supported'],
  ] as const)('refuses %s with a JSON error', async (_, overrides, headers, status, error) => {
    const params = webRequest(p.challenge, overrides as Record<string, string | undefined>);
    const res = await par(params, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.headers.get('location')).toBeNull();
    expect(((await res.json()) as { error: string }).error).toBe(error);
  });

  it('answers GET with 405', async () => {
    const res = await fetch(`${h.issuer}/oauth2/par`, { redirect: 'manual' });
    expect(res.status).toBe(405);
  });
});

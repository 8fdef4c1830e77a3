import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { continueAuthorization, denyAuthorization } from '../../src/people/authorize/continue.ts';
import type { PeopleDeps } from '../../src/people/deps.ts';
import type { AuthorizationRequestRecord, SessionRecord } from '../../src/people/records.ts';
import { recordConsent } from '../../src/people/session.ts';
import { peopleWorld, startPeopleHarness, type PeopleHarness } from './harness.ts';
import {
  authorizeUrl,
  get,
  peopleDepsOf,
  pkce,
  queryOf,
  seeOther,
  signedIn,
  webRequest,
  type Pkce,
} from './authorize-support.ts';

/**
 * continueAuthorization and denyAuthorization as the hosted pages call them, from routes of a second real server
 * that shares the harness's runtime state: after a sign-in, after a consent, and on "deny".
 */

let h: PeopleHarness;
let p: Pkce;
let deps: PeopleDeps;
let pages: FastifyInstance;
let pagesUrl: string;

beforeAll(async () => {
  h = await startPeopleHarness();
  p = pkce();
  deps = peopleDepsOf(h);
  pages = Fastify();
  pages.get('/continue', (request, reply) =>
    continueAuthorization(request, reply, deps, (request.query as { request: string }).request),
  );
  pages.get('/consent-and-continue', async (request, reply) => {
    const id = (request.query as { request: string }).request;
    const stored = await h.state.get<AuthorizationRequestRecord>('authorization_request', id, h.clock.now);
    if (stored === undefined) throw new Error('no request');
    await recordConsent(request, deps, stored.value.clientId, stored.value.scopes);
    await markRequest(id, { consented: true });
    return continueAuthorization(request, reply, deps, id);
  });
  pages.get('/deny', (request, reply) =>
    denyAuthorization(
      reply,
      deps,
      (request.query as { request: string }).request,
      'access_denied',
      'the person said no',
    ),
  );
  pagesUrl = await pages.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await pages.close();
  await h.close();
});

/** What the login and consent pages do to a request: a compareAndSwap of the stored record. */
async function markRequest(id: string, change: Partial<AuthorizationRequestRecord>): Promise<void> {
  const stored = await h.state.get<AuthorizationRequestRecord>('authorization_request', id, h.clock.now);
  if (stored === undefined) throw new Error('no request');
  const next = { value: { ...stored.value, ...change }, expiresAtMs: stored.expiresAtMs };
  expect(await h.state.compareAndSwap('authorization_request', id, stored.version, next, h.clock.now)).toBe(
    2,
  );
}

/** Starts a request without a session and returns the id the login or consent page got. */
async function requestId(
  overrides: Record<string, string | undefined> = {},
  cookie?: string,
): Promise<string> {
  const location = seeOther(await get(authorizeUrl(h, webRequest(p.challenge, overrides)), cookie));
  return location.searchParams.get('request') ?? '';
}

const THIRD_PARTY = { client_id: 'third-party.people', redirect_uri: 'https://other.example.net/cb' };

describe('continueAuthorization', () => {
  it('answers with a code once the person signed in, and the request is spent', async () => {
    const id = await requestId();
    const browser = await signedIn(h);
    await markRequest(id, { signedInAtMs: h.clock.now });
    const location = seeOther(await get(`${pagesUrl}/continue?request=${id}`, browser.cookie));
    expect(queryOf(location)).toMatchObject({
      state: ['state-1'],
      iss: [h.issuer],
      code: [expect.any(String)],
    });
    const again = await get(`${pagesUrl}/continue?request=${id}`, browser.cookie);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('expired');
  });

  it('is satisfied by a sign-in for this request under prompt=login and max_age=0', async () => {
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }]) {
      const browser = await signedIn(h);
      const id = await requestId(extra, browser.cookie);
      expect(seeOther(await get(`${pagesUrl}/continue?request=${id}`, browser.cookie)).pathname).toBe(
        '/login',
      );
      await markRequest(id, { signedInAtMs: h.clock.now });
      const location = seeOther(await get(`${pagesUrl}/continue?request=${id}`, browser.cookie));
      expect(location.searchParams.get('code')).not.toBeNull();
    }
  });

  it("asks a third-party client's consent once per session and scopes", async () => {
    const browser = await signedIn(h);
    const id = await requestId(THIRD_PARTY, browser.cookie);
    const first = seeOther(await get(`${pagesUrl}/consent-and-continue?request=${id}`, browser.cookie));
    expect(`${first.origin}${first.pathname}`).toBe('https://other.example.net/cb');
    expect(first.searchParams.get('code')).not.toBeNull();
    const session = await h.state.get<SessionRecord>('session', browser.id, h.clock.now);
    expect(session?.value.consents).toEqual({ 'third-party.people': ['openid', 'email'] });

    const second = seeOther(await get(authorizeUrl(h, webRequest(p.challenge, THIRD_PARTY)), browser.cookie));
    expect(second.searchParams.get('code')).not.toBeNull();
    const more = seeOther(
      await get(
        authorizeUrl(h, webRequest(p.challenge, { ...THIRD_PARTY, scope: 'openid offline_access' })),
        browser.cookie,
      ),
    );
    expect(more.pathname).toBe('/consent');
  });

  it('shows the expired page for an unknown request id', async () => {
    const res = await get(`${pagesUrl}/continue?request=${'a'.repeat(43)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it("does not redirect when the client's redirect URI was removed meanwhile", async () => {
    const browser = await signedIn(h);
    const id = await requestId({ prompt: 'login' }, browser.cookie);
    await markRequest(id, { signedInAtMs: h.clock.now });
    const before = h.source.snapshot;
    h.source.snapshot = peopleWorld(h.keys);
    const web = h.source.snapshot.clients.get('web-app.people');
    if (web?.people === undefined) throw new Error('no web client');
    (h.source.snapshot.clients as Map<string, typeof web>).set('web-app.people', {
      ...web,
      people: { ...web.people, redirectUris: ['https://app.example.com/new-callback'] },
    });
    try {
      const res = await get(`${pagesUrl}/continue?request=${id}`, browser.cookie);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    } finally {
      h.source.snapshot = before;
    }
  });
});

describe('denyAuthorization', () => {
  it('sends access_denied with state and iss, and spends the request', async () => {
    const browser = await signedIn(h);
    const id = await requestId(THIRD_PARTY, browser.cookie);
    const location = seeOther(await get(`${pagesUrl}/deny?request=${id}`));
    expect(`${location.origin}${location.pathname}`).toBe('https://other.example.net/cb');
    expect(queryOf(location)).toEqual({
      error: ['access_denied'],
      error_description: ['the person said no'],
      state: ['state-1'],
      iss: [h.issuer],
    });
    expect((await get(`${pagesUrl}/continue?request=${id}`, browser.cookie)).status).toBe(400);
  });
});

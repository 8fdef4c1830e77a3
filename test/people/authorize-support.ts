import { createHash, randomBytes } from 'node:crypto';
import type { PeopleDeps } from '../../src/people/deps.ts';
import { createSession } from '../../src/people/session.ts';
import { AssertionVerifier } from '../../src/server/assertion/verifier.ts';
import { issuerUrls } from '../../src/server/issuer.ts';
import type { PeopleHarness } from './harness.ts';

/** Helpers of the authorization endpoint, PAR, session and logout tests: plain fetch, cookies by hand. */

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A valid request of the web client, with overrides (undefined removes a parameter). */
export function webRequest(
  challenge: string,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const params: Record<string, string | undefined> = {
    client_id: 'web-app.people',
    redirect_uri: 'https://app.example.com/callback',
    response_type: 'code',
    scope: 'openid email',
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `GET` without following redirects. */
export function get(url: string, cookie?: string): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
}

/** `POST` of a form without following redirects. */
export function postForm(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

export function authorizeUrl(h: PeopleHarness, params: Record<string, string> | string): string {
  const query = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  return `${h.issuer}/oauth2/authorize?${query}`;
}

/** The `Location` of a 303, parsed. */
export function seeOther(res: Response): URL {
  if (res.status !== 303) throw new Error(`expected 303, got ${res.status}`);
  return new URL(res.headers.get('location') ?? '');
}

/** A browser signed in as `userId` through the test Connection: the `Cookie` header it sends. */
export async function signedIn(
  h: Pick<PeopleHarness, 'state' | 'clock'>,
  userId = 'usr_alice',
  connection = 'people/test-people',
): Promise<{ cookie: string; sid: string; id: string }> {
  const session = await createSession(
    { state: h.state, now: () => h.clock.now },
    { userId, connection, amr: ['pwd'] },
  );
  return { cookie: `latchkey-session=${session.id}`, sid: session.record.sid, id: session.id };
}

/** Every parameter of a redirect's query, repeated ones included, as a plain object of lists. */
export function queryOf(url: URL): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (out[k] ??= []).push(v);
  return out;
}

/** The PeopleDeps the server builds, for a test server that calls the people modules directly. */
export function peopleDepsOf(h: PeopleHarness): PeopleDeps {
  const now = (): number => h.clock.now;
  const urls = issuerUrls(h.issuer);
  return {
    source: h.source,
    urls,
    now,
    state: h.state,
    events: h.events,
    clientAuth: {
      assertions: new AssertionVerifier({ audiences: [urls.issuer, urls.tokenEndpoint], now }),
      now,
    },
    revocations: h.servers.revocations,
    secureCookies: false,
  };
}

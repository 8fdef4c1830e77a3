import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REQUEST_LIFETIME_MS } from '../../src/people/authorize/continue.ts';
import { addressOwner, retryAfterSeconds, type PendingLimits } from '../../src/people/pending.ts';
import { signInLimitsOption } from '../../src/people/throttle-options.ts';
import type { CompiledConnection } from '../../src/store/snapshot.ts';
import { authorizeUrl, pkce, postForm, webRequest } from './authorize-support.ts';
import { DEVICE_CLI, deviceWorld, startDevice } from './device-support.ts';
import {
  PEOPLE,
  peopleClient,
  peopleWorld,
  signIn,
  startPeopleHarness,
  WEB_SECRET,
  type PeopleHarness,
} from './harness.ts';
import { formOf } from './login-browser.ts';
import { CookieJar } from '../support/cookie-jar.ts';

/**
 * What an anonymous flood can make the server keep (issue 12, a hostile look at the people endpoints): pending
 * authorization requests and upstream sign-ins per source address, pushed requests per client, failed sign-ins
 * through the throttle. Two source addresses on one machine: 127.0.0.1 and 127.0.0.2 (all of 127/8 is loopback),
 * the second through an undici Agent bound to it.
 */

describe('addressOwner', () => {
  it.each([
    ['192.0.2.7', 'address:192.0.2.7'],
    ['::ffff:192.0.2.7', 'address:192.0.2.7'],
    ['2001:db8:1:2:aaaa::1', 'address:2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', 'address:2001:db8:1:2::/64'],
  ])('owns what %s keeps pending as %s', (address, owner) => {
    expect(addressOwner(address)).toBe(owner);
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    [undefined, 1],
    [1_000, 1],
    [1_001, 1],
    [61_000, 60],
    [61_001, 61],
  ])('frees at %s ms after 1000 ms: Retry-After %s', (freeAtMs, seconds) => {
    expect(retryAfterSeconds(freeAtMs, 1_000)).toBe(seconds);
  });
});

const LIMITS: PendingLimits = {
  requestsPerAddress: 3,
  upstreamLoginsPerAddress: 2,
  pushedPerClient: 2,
  devicesPerAddress: 2,
};

const github: CompiledConnection = {
  namespace: 'corp',
  name: 'github',
  type: 'github',
  keys: [],
  signIn: signIn({
    displayName: 'GitHub',
    clientId: 'gh-client',
    clientSecret: 'gh-secret',
    baseUrl: 'https://github.example',
  }),
};

/** A browser at another address: its own cookies, its connections from 127.0.0.2. */
class OtherAddress {
  readonly agent = new Agent({ localAddress: '127.0.0.2' });
  readonly jar = new CookieJar();

  async request(url: string, init: { method?: string; body?: string } = {}) {
    const res = await undiciFetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      dispatcher: this.agent,
      headers: {
        ...this.jar.with(),
        ...(init.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return this.jar.keep(res);
  }
}

function seeOther(res: { status: number; headers: { get(name: string): string | null } }, base: string): URL {
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location') as string, base);
}

describe('pending sign-ins per source address and per client', () => {
  let h: PeopleHarness;
  let other: OtherAddress;
  beforeEach(async () => {
    h = await startPeopleHarness({ pendingLimits: LIMITS });
    h.source.snapshot = peopleWorld(h.keys, {
      connections: [github],
      clients: [
        peopleClient(
          { clientId: 'gh-app.people', authMethod: 'none' },
          { displayName: 'GitHub app', connections: ['people/test-people', 'corp/github'] },
        ),
      ],
    });
    other = new OtherAddress();
  });
  afterEach(async () => {
    await other.agent.close();
    await h.close();
  });

  const start = (overrides: Record<string, string> = {}) =>
    fetch(authorizeUrl(h, webRequest(pkce().challenge, overrides)), { redirect: 'manual' });

  it('refuses a flood of authorization requests from one address, and signs in another address meanwhile', async () => {
    const refused = h.seen('signIn.pendingRefused');
    for (let i = 0; i < LIMITS.requestsPerAddress; i++) {
      expect(seeOther(await start(), h.issuer).pathname).toBe('/login');
    }
    const full = seeOther(await start({ state: 'flood-4' }), h.issuer);
    expect(full.origin + full.pathname).toBe('https://app.example.com/callback');
    expect(Object.fromEntries(full.searchParams)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'too many sign-ins are in progress from this network; try again shortly',
      state: 'flood-4',
      iss: h.issuer,
    });
    expect(refused).toEqual([{ kind: 'authorization_request', owner: 'address' }]);

    // Another address starts, signs in with the test form and gets its code.
    const { verifier, challenge } = pkce();
    const login = seeOther(await other.request(authorizeUrl(h, webRequest(challenge))), h.issuer);
    const form = formOf(await (await other.request(login.href)).text(), '/login/password');
    const body = new URLSearchParams({ ...form.fields, username: 'bob', password: PEOPLE.bob.password });
    const signedIn = await other.request(`${h.issuer}${form.action}`, {
      method: 'POST',
      body: body.toString(),
    });
    const back = seeOther(await other.request(seeOther(signedIn, h.issuer).href), h.issuer);
    const code = back.searchParams.get('code') as string;
    const token = await postForm(
      `${h.issuer}/oauth2/token`,
      new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: 'https://app.example.com/callback',
      }).toString(),
      { authorization: `Basic ${Buffer.from(`web-app.people:${WEB_SECRET}`).toString('base64')}` },
    );
    expect(token.status).toBe(200);

    // The flooding address gets its share back as its requests expire.
    h.clock.now += REQUEST_LIFETIME_MS;
    expect(seeOther(await start(), h.issuer).pathname).toBe('/login');
  });

  it('refuses more upstream sign-ins in progress from one address with 429, but not from another', async () => {
    const request = { client_id: 'gh-app.people', scope: 'openid' };
    const requestId = seeOther(await start(request), h.issuer).searchParams.get('request') as string;
    const choose = `${h.issuer}/login?request=${requestId}&connection=corp%2Fgithub`;
    for (let i = 0; i < LIMITS.upstreamLoginsPerAddress; i++) {
      expect(seeOther(await fetch(choose, { redirect: 'manual' }), h.issuer).origin).toBe(
        'https://github.example',
      );
    }
    const refused = h.seen('signIn.pendingRefused');
    const full = await fetch(choose, { redirect: 'manual' });
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBe(600);
    expect(await full.text()).toContain(
      'Too many sign-ins are in progress from your network. Try again in 10 minutes.',
    );
    expect(refused).toEqual([{ kind: 'upstream_login', owner: 'address' }]);

    const upstream = seeOther(await other.request(choose), h.issuer);
    expect(upstream.origin).toBe('https://github.example');
  });

  it('refuses a client more pushed requests than its share with 429 at the PAR endpoint, not another client', async () => {
    const push = (clientId: string) =>
      postForm(
        `${h.issuer}/oauth2/par`,
        new URLSearchParams(
          webRequest(pkce().challenge, {
            client_id: clientId,
            ...(clientId === 'cli.people' ? { redirect_uri: 'http://127.0.0.1/callback' } : {}),
          }),
        ).toString(),
      );
    for (let i = 0; i < LIMITS.pushedPerClient; i++) expect((await push('cli.people')).status).toBe(201);
    const refused = h.seen('signIn.pendingRefused');
    const full = await push('cli.people');
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toBe('60');
    expect(await full.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description:
        'this client has too many pushed requests waiting for their browser; try again shortly',
    });
    expect(refused).toEqual([{ kind: 'authorization_request', owner: 'client' }]);
    expect((await push('gh-app.people')).status).toBe(201);
  });

  it('refuses device authorizations past the share of one address, and takes them from another', async () => {
    h.source.snapshot = deviceWorld(h);
    const refused = h.seen('signIn.pendingRefused');
    for (let i = 0; i < LIMITS.devicesPerAddress; i++) expect((await startDevice(h)).status).toBe(200);
    const full = await fetch(`${h.issuer}/oauth2/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: DEVICE_CLI }).toString(),
    });
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toBe('1200');
    expect(await full.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'too many device sign-ins are in progress from this network; try again shortly',
    });
    expect(refused).toEqual([{ kind: 'device_authorization', owner: 'address' }]);
    const elsewhere = await other.request(`${h.issuer}/oauth2/device_authorization`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: DEVICE_CLI }).toString(),
    });
    expect(elsewhere.status).toBe(200);
  });
});

/** The test users' form of a fresh sign-in, and a way to post it from the browser that was shown it. */
async function testUserForm(h: PeopleHarness) {
  const login = seeOther(
    await fetch(authorizeUrl(h, webRequest(pkce().challenge)), { redirect: 'manual' }),
    h.issuer,
  );
  const page = await fetch(login, { redirect: 'manual' });
  const browser = (page.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
  const form = formOf(await page.text(), '/login/password');
  const post = (body: URLSearchParams) =>
    postForm(`${h.issuer}${form.action}`, body.toString(), { cookie: browser });
  return { form, post };
}

describe('failed sign-ins from one address', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
  });
  afterAll(() => h.close());

  it('keep at most one record per person tried and one for the address: the throttle stops the rest unchecked', async () => {
    const { form, post } = await testUserForm(h);
    const failed = h.seen('signIn.failed');
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const body = new URLSearchParams({ ...form.fields, username: `nobody-${i}`, password: 'guess' });
      statuses.push((await post(body)).status);
    }
    expect(statuses).toEqual([...Array<number>(20).fill(400), ...Array<number>(5).fill(429)]);
    expect((await h.state.counts()).get('sign_in_failure')).toBe(21);
    // Refused before the password is looked at: the right one signs nobody in while the address is throttled.
    expect(failed).toHaveLength(20);
    const right = new URLSearchParams({ ...form.fields, username: 'alice', password: PEOPLE.alice.password });
    expect((await post(right)).status).toBe(429);
    const counts = await h.state.counts();
    expect([counts.get('session'), counts.get('user'), counts.get('sign_in_failure')]).toEqual([0, 0, 21]);
  });
});

describe('failed sign-in limits set as the command line sets them', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({
      signInLimits: signInLimitsOption({ 'sign-in-failures-per-address': '3' }),
    });
  });
  afterAll(() => h.close());

  it('refuse the fourth failure from an address when --sign-in-failures-per-address is 3', async () => {
    const { form, post } = await testUserForm(h);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const body = new URLSearchParams({ ...form.fields, username: `nobody-${i}`, password: 'guess' });
      statuses.push((await post(body)).status);
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
  });
});

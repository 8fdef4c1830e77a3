import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/people/records.ts';
import {
  cookieHeader,
  endSession,
  readCookie,
  readSession,
  recordConsent,
  SESSION_LIFETIME_MS,
  sessionCookieName,
  startSession,
} from '../../src/people/session.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import { NOW_MS } from '../http/harness.ts';

describe('readCookie (RFC 6265 §5.4)', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['latchkey-session=abc', 'abc'],
    ['a=1; latchkey-session=abc; b=2', 'abc'],
    ['a=1;latchkey-session=abc', 'abc'],
    ['xlatchkey-session=abc', undefined],
    ['latchkey-session=', undefined],
    ['latchkey-session', undefined],
    ['latchkey-session=first; latchkey-session=second', 'first'],
  ])('%s → %s', (header, expected) => {
    expect(readCookie(header, 'latchkey-session')).toBe(expected);
  });
});

describe('the session cookie', () => {
  it('is __Host- prefixed and Secure on https, and plain on http', () => {
    expect(sessionCookieName(true)).toBe('__Host-latchkey-session');
    expect(sessionCookieName(false)).toBe('latchkey-session');
    expect(cookieHeader('__Host-latchkey-session', 'v', 36000, true)).toBe(
      '__Host-latchkey-session=v; Path=/; Max-Age=36000; HttpOnly; SameSite=Lax; Secure',
    );
    expect(cookieHeader('latchkey-session', 'v', 36000, false)).toBe(
      'latchkey-session=v; Path=/; Max-Age=36000; HttpOnly; SameSite=Lax',
    );
  });
});

/** A real server whose routes start, read, consent on and end sessions, as the hosted pages will. */
async function sessionServer(
  state: RuntimeState,
  clock: { now: number },
  secureCookies: boolean,
): Promise<{ app: FastifyInstance; url: string }> {
  const deps = { state, now: () => clock.now, secureCookies };
  const app = Fastify();
  app.post('/start', async (request, reply) => {
    const session = await startSession(request, reply, deps, {
      userId: 'usr_alice',
      connection: 'people/test-people',
      amr: ['pwd'],
    });
    return { sid: session.record.sid };
  });
  app.get('/read', async (request) => ({ session: (await readSession(request, deps))?.record ?? null }));
  app.post('/consent/:client', async (request) => {
    const { client } = request.params as { client: string };
    const scopes = String(request.headers['x-scopes'] ?? '').split(' ');
    return { recorded: await recordConsent(request, deps, client, scopes) };
  });
  app.post('/end', async (request, reply) => ({ ended: (await endSession(request, reply, deps)) ?? null }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

describe('sessions through a real server', () => {
  let state: RuntimeState;
  const clock = { now: NOW_MS };
  let server: { app: FastifyInstance; url: string };

  beforeAll(async () => {
    state = await openEmbeddedState({ path: ':memory:', clock: () => clock.now });
    server = await sessionServer(state, clock, false);
  });
  afterAll(async () => {
    await server.app.close();
    await state.close();
  });

  async function start(cookie?: string): Promise<{ cookie: string; setCookie: string; sid: string }> {
    const res = await fetch(`${server.url}/start`, { method: 'POST', headers: cookie ? { cookie } : {} });
    const setCookie = res.headers.get('set-cookie') ?? '';
    const { sid } = (await res.json()) as { sid: string };
    return { cookie: setCookie.split(';')[0] ?? '', setCookie, sid };
  }
  const read = async (cookie: string): Promise<SessionRecord | null> =>
    (
      (await (await fetch(`${server.url}/read`, { headers: { cookie } })).json()) as {
        session: SessionRecord | null;
      }
    ).session;

  it('sets an HttpOnly, SameSite=Lax cookie with an opaque id that lasts the session lifetime', async () => {
    const { cookie, setCookie, sid } = await start();
    expect(setCookie).toMatch(
      /^latchkey-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=36000; HttpOnly; SameSite=Lax$/,
    );
    expect(cookie.split('=')[1]).not.toBe(sid);
    expect(await read(cookie)).toEqual({
      userId: 'usr_alice',
      sid,
      connection: 'people/test-people',
      authTime: NOW_MS / 1000,
      amr: ['pwd'],
      consents: {},
    });
    const owned = await state.listByOwner<SessionRecord>('session', 'usr_alice', clock.now, 100);
    expect(owned.map((r) => r.value.sid)).toContain(sid);
    expect(owned.find((r) => r.value.sid === sid)?.expiresAtMs).toBe(NOW_MS + SESSION_LIFETIME_MS);
  });

  it('ends at its absolute lifetime however it is used', async () => {
    const { cookie } = await start();
    clock.now += SESSION_LIFETIME_MS - 1;
    expect(await read(cookie)).not.toBeNull();
    clock.now += 1;
    expect(await read(cookie)).toBeNull();
    clock.now = NOW_MS;
  });

  it('replaces the session a browser carried at a new sign-in (no session fixation)', async () => {
    const first = await start();
    const second = await start(first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    expect(await read(first.cookie)).toBeNull();
    expect((await read(second.cookie))?.sid).toBe(second.sid);
  });

  it('records consents per client, adding scopes, also when two arrive at once', async () => {
    const { cookie } = await start();
    const consent = (client: string, scopes: string) =>
      fetch(`${server.url}/consent/${client}`, { method: 'POST', headers: { cookie, 'x-scopes': scopes } });
    await Promise.all([consent('a', 'openid email'), consent('b', 'openid'), consent('a', 'profile')]);
    const consents = (await read(cookie))?.consents ?? {};
    expect([...(consents.a ?? [])].sort()).toEqual(['email', 'openid', 'profile']);
    expect(consents.b).toEqual(['openid']);
  });

  it('records no consent without a session', async () => {
    const res = await fetch(`${server.url}/consent/a`, { method: 'POST', headers: { 'x-scopes': 'openid' } });
    expect(await res.json()).toEqual({ recorded: false });
  });

  it('ends: the record is gone and the cookie is cleared', async () => {
    const { cookie, sid } = await start();
    const res = await fetch(`${server.url}/end`, { method: 'POST', headers: { cookie } });
    expect(res.headers.get('set-cookie')).toBe(
      'latchkey-session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax',
    );
    expect(((await res.json()) as { ended: SessionRecord }).ended.sid).toBe(sid);
    expect(await read(cookie)).toBeNull();
  });
});

describe('sessions on an https issuer', () => {
  it('use the __Host- cookie and ignore the plain one', async () => {
    const clock = { now: NOW_MS };
    const state = await openEmbeddedState({ path: ':memory:', clock: () => clock.now });
    const server = await sessionServer(state, clock, true);
    try {
      const res = await fetch(`${server.url}/start`, { method: 'POST' });
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(
        /^__Host-latchkey-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=36000; HttpOnly; SameSite=Lax; Secure$/,
      );
      const value = setCookie.split(';')[0]?.split('=')[1] ?? '';
      const read = async (cookie: string) =>
        ((await (await fetch(`${server.url}/read`, { headers: { cookie } })).json()) as { session: unknown })
          .session;
      expect(await read(`__Host-latchkey-session=${value}`)).not.toBeNull();
      expect(await read(`latchkey-session=${value}`)).toBeNull();
    } finally {
      await server.app.close();
      await state.close();
    }
  });
});

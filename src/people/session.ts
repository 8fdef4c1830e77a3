import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RuntimeState } from '../state/runtime-state.ts';
import type { Clock } from '../clock.ts';
import type { PeopleDeps } from './deps.ts';
import { randomToken } from './digest.ts';
import type { SessionRecord, SignInFacts } from './records.ts';

/**
 * The SSO session (issue 12): an opaque random id in a cookie, and a `session` record in runtime state keyed by
 * it (the store keeps only the key's digest, so a dump of it signs nobody in). Owned by the user id, so a
 * person's sessions can be listed and ended together.
 */

/**
 * How long a session lasts from sign-in, however it is used: a working day with margin, after which the person
 * signs in upstream again. Absolute, not sliding, so a stolen cookie stops working at a known time.
 */
export const SESSION_LIFETIME_MS = 10 * 60 * 60 * 1000;

/**
 * The cookie's name: on https `__Host-` binds it to this host, Secure and `Path=/` (RFC 6265bis §4.1.3.2), so
 * no sibling subdomain can plant or overwrite it; plain http (development) cannot carry that prefix.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-latchkey-session' : 'latchkey-session';
}

/** A session found through the request's cookie. */
export interface ActiveSession {
  /** The cookie value: the session's key in runtime state. A credential: never log it. */
  id: string;
  record: SessionRecord;
  /** For `compareAndSwap`. */
  version: number;
  expiresAtMs: number;
}

/** What a new session records. */
export interface NewSession {
  userId: string;
  /** The Connection signed in through, `namespace/name`. */
  connection: string;
  /** RFC 8176 values: `['pwd']` for test users, `['fed']` through an upstream. */
  amr: readonly string[];
  /** What the Connection said about the person (groups, verified email), for organization and role rules. */
  facts?: SignInFacts;
}

/** The value of cookie `name` in a `Cookie` header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/**
 * A `Set-Cookie` value: HttpOnly (no script reads it), SameSite=Lax (sent on top-level navigations, such as a
 * client's redirect to the authorization endpoint, but not on cross-site subrequests or POSTs), `Path=/`.
 */
export function cookieHeader(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** The session whose id the request's cookie holds, when its record has not expired or ended. */
export async function readSession(
  request: FastifyRequest,
  deps: Pick<PeopleDeps, 'state' | 'now' | 'secureCookies'>,
): Promise<ActiveSession | undefined> {
  const id = readCookie(request.headers.cookie, sessionCookieName(deps.secureCookies));
  // Our ids are 43 base64url characters; anything else is not worth a lookup.
  if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
  const stored = await deps.state.get<SessionRecord>('session', id, deps.now());
  if (stored === undefined) return undefined;
  return { id, record: stored.value, version: stored.version, expiresAtMs: stored.expiresAtMs };
}

/**
 * Stores a new session and returns it with its cookie value, without touching any response: what
 * {@link startSession} does before it sets the cookie, and how tests get a signed-in browser.
 */
export async function createSession(
  deps: { state: RuntimeState; now: Clock },
  input: NewSession,
): Promise<ActiveSession> {
  const nowMs = deps.now();
  const record: SessionRecord = {
    userId: input.userId,
    sid: randomToken(),
    connection: input.connection,
    authTime: Math.floor(nowMs / 1000),
    amr: [...input.amr],
    consents: {},
    ...(input.facts === undefined ? {} : { facts: input.facts }),
  };
  const id = randomToken();
  const expiresAtMs = nowMs + SESSION_LIFETIME_MS;
  const result = await deps.state.insert(
    'session',
    id,
    { value: record, owner: input.userId, expiresAtMs },
    nowMs,
  );
  // 256 random bits do not collide; an existing record would mean the randomness is broken.
  if (result !== 'created') throw new Error(`a new session could not be stored: ${result}`);
  return { id, record, version: 1, expiresAtMs };
}

/**
 * Signs the person in on this browser: ends the session the request carried, if any (a new id at every sign-in
 * defeats session fixation), stores a new one and sets its cookie on `reply`.
 */
export async function startSession(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: Pick<PeopleDeps, 'state' | 'now' | 'secureCookies'>,
  input: NewSession,
): Promise<ActiveSession> {
  const previous = await readSession(request, deps);
  if (previous !== undefined) await deps.state.consume('session', previous.id, deps.now());
  const session = await createSession(deps, input);
  const maxAge = Math.floor((session.expiresAtMs - deps.now()) / 1000);
  reply.header(
    'set-cookie',
    cookieHeader(sessionCookieName(deps.secureCookies), session.id, maxAge, deps.secureCookies),
  );
  return session;
}

/** Ends the request's session, if any, and clears its cookie; returns the session that ended. */
export async function endSession(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: Pick<PeopleDeps, 'state' | 'now' | 'secureCookies'>,
): Promise<SessionRecord | undefined> {
  const name = sessionCookieName(deps.secureCookies);
  const id = readCookie(request.headers.cookie, name);
  if (id === undefined) return undefined;
  reply.header('set-cookie', cookieHeader(name, '', 0, deps.secureCookies));
  const ended = await deps.state.consume<SessionRecord>('session', id, deps.now());
  return ended?.value;
}

/** Whether the session's consents for `clientId` cover every scope in `scopes`. */
export function hasConsent(record: SessionRecord, clientId: string, scopes: readonly string[]): boolean {
  const granted = record.consents[clientId];
  if (granted === undefined) return false;
  return scopes.every((s) => granted.includes(s));
}

/**
 * Records on the request's session that the person consented to `scopes` for `clientId`, adding to what was
 * consented before. A `compareAndSwap`, retried when another request changed the session meanwhile. Resolves
 * false when there is no session (it expired or ended).
 */
export async function recordConsent(
  request: FastifyRequest,
  deps: Pick<PeopleDeps, 'state' | 'now' | 'secureCookies'>,
  clientId: string,
  scopes: readonly string[],
): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const session = await readSession(request, deps);
    if (session === undefined) return false;
    const before = session.record.consents[clientId] ?? [];
    const consents = { ...session.record.consents, [clientId]: [...new Set([...before, ...scopes])] };
    const next = {
      value: { ...session.record, consents },
      owner: session.record.userId,
      expiresAtMs: session.expiresAtMs,
    };
    const swapped = await deps.state.compareAndSwap('session', session.id, session.version, next, deps.now());
    if (swapped !== undefined) return true;
  }
  return false;
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PeopleDeps } from './deps.ts';
import { digestOf, randomToken } from './digest.ts';
import { readCookie } from './session.ts';

/**
 * Cross-site request forgery protection for the hosted pages' forms, and the browser binding of upstream
 * sign-ins (login CSRF, RFC 9700 §4.7.1). A browser gets a random value in an HttpOnly SameSite=Lax cookie;
 * each form carries an HMAC of the form's purpose and request id keyed by that value. A forged form lacks the
 * cookie (SameSite) and cannot compute the token (the value never leaves the cookie); a token from one request's
 * page does not fit another request or another form.
 */

/** What a form does: a token for one purpose is refused for every other. */
export type FormPurpose =
  'choose_connection' | 'test_user' | 'link' | 'consent' | 'continue' | 'device' | 'organization';

/**
 * `__Host-` on https binds the cookie to this host with `Path=/` and Secure (RFC 6265bis §4.1.3.2), so no sibling
 * subdomain can plant a value of its own and forge tokens for it; plain http (development) cannot carry it.
 */
export function browserCookieName(secure: boolean): string {
  return secure ? '__Host-latchkey-browser' : 'latchkey-browser';
}

/** A day: long enough for any sign-in; renewed whenever a page is shown. */
const BROWSER_COOKIE_MAX_AGE_SECONDS = 24 * 60 * 60;

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The browser value from the request's cookie, when it has a well-formed one. */
export function readBrowser(
  request: FastifyRequest,
  deps: Pick<PeopleDeps, 'secureCookies'>,
): string | undefined {
  const value = readCookie(request.headers.cookie, browserCookieName(deps.secureCookies));
  return value !== undefined && TOKEN_SHAPE.test(value) ? value : undefined;
}

/** The browser value, set on `reply` (new, or renewed) so the forms of the page being sent can be posted. */
export function ensureBrowser(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: Pick<PeopleDeps, 'secureCookies'>,
): string {
  const browser = readBrowser(request, deps) ?? randomToken();
  const name = browserCookieName(deps.secureCookies);
  const secure = deps.secureCookies ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${name}=${browser}; Path=/; Max-Age=${BROWSER_COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${secure}`,
  );
  return browser;
}

/** What records bound to this browser hold (`UpstreamLoginRecord.browserDigest`): never the value itself. */
export function browserDigest(browser: string): string {
  return digestOf(browser);
}

/**
 * The token a form for `purpose` on request `requestId` carries.
 *
 * @example
 * html`<input type="hidden" name="csrf" value="${csrfToken(browser, 'consent', requestId)}">`;
 */
export function csrfToken(browser: string, purpose: FormPurpose, requestId: string): string {
  return createHmac('sha256', browser).update(`${purpose}\0${requestId}`).digest('base64url');
}

/** Why a form post is refused, or undefined when it is accepted. */
export type CsrfRefusal = 'origin' | 'no_cookie' | 'bad_token';

/**
 * Checks a form post: its `Origin`, when sent, is the issuer's (or `null`: our pages send no referrer, and a
 * form posted under `Referrer-Policy: no-referrer` carries `Origin: null`, Fetch §3.1 "append a request Origin
 * header", so there the token alone decides); the browser cookie is there; the token fits it, the purpose and
 * the request, compared in constant time.
 */
export function checkCsrf(
  request: FastifyRequest,
  deps: Pick<PeopleDeps, 'secureCookies' | 'urls'>,
  purpose: FormPurpose,
  requestId: string,
  token: string | undefined,
): CsrfRefusal | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null' && origin !== new URL(deps.urls.issuer).origin)
    return 'origin';
  const browser = readBrowser(request, deps);
  if (browser === undefined) return 'no_cookie';
  return checkCsrfToken(browser, purpose, requestId, token) ? undefined : 'bad_token';
}

/** Whether `token` is the one {@link csrfToken} gives, compared in constant time. */
export function checkCsrfToken(
  browser: string,
  purpose: FormPurpose,
  requestId: string,
  token: string | undefined,
): boolean {
  if (token === undefined) return false;
  const expected = Buffer.from(csrfToken(browser, purpose, requestId));
  const presented = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

import type { FastifyReply } from 'fastify';
import { errorDescriptionText, type OAuthError } from '../../server/errors.ts';

/**
 * The redirect URI with response parameters added to its query, which is kept as registered (RFC 6749 §3.1.2:
 * the query component is retained; appending leaves its encoding untouched, as re-serializing would not).
 *
 * @example
 * responseUrl('https://app/cb?x=1', { code: 'c', state: undefined }); // 'https://app/cb?x=1&code=c'
 */
export function responseUrl(
  redirectUri: string,
  params: Readonly<Record<string, string | undefined>>,
): string {
  const added = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) added.append(name, value);
  const query = added.toString();
  if (query === '') return redirectUri;
  const hash = redirectUri.indexOf('#');
  const base = hash === -1 ? redirectUri : redirectUri.slice(0, hash);
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return base + separator + query;
}

/**
 * The error response of RFC 6749 §4.1.2.1: `error`, `error_description`, `state` as sent, and `iss` so the client
 * can tell which server answered (RFC 9207 §2, against mix-up attacks).
 */
export function errorResponseUrl(
  redirectUri: string,
  err: OAuthError,
  state: string | undefined,
  issuer: string,
): string {
  return responseUrl(redirectUri, {
    error: err.error,
    error_description: errorDescriptionText(err.description),
    state,
    iss: issuer,
  });
}

/**
 * Sends the browser on with 303 See Other, so a POSTed request is followed with GET (RFC 9700 §4.12: 307 would
 * resend the form, credentials included, to the next site).
 */
export function sendSeeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply
    .code(303)
    .headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
    .send();
}

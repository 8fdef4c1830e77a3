import type { FastifyReply } from 'fastify';
import { html } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import { textsFor, type Texts } from './texts.ts';

/** What an error page says: words a person can act on, never internals, secrets or an upstream's body. */
export interface ErrorPage {
  status: number;
  title: string;
  message: string;
  /** Sent as `Retry-After` (RFC 9110 §10.2.3) with a 429 or 503. */
  retryAfterSeconds?: number;
  texts?: Texts;
}

/**
 * Sends an HTML error page with the hosted pages' security headers. For errors at the hosted pages and at the
 * authorization endpoint when the client cannot be told through its redirect URI (RFC 6749 §4.1.2.1: an unknown
 * client or a redirect URI that does not match must not redirect).
 *
 * @example
 * return sendErrorPage(reply, { status: 400, title: 'Unknown application', message: 'Go back and start again.' });
 */
export function sendErrorPage(reply: FastifyReply, page: ErrorPage): FastifyReply {
  const texts = page.texts ?? textsFor();
  const body = renderPage(texts, {
    title: page.title,
    main: html`<p role="alert">${page.message}</p>`,
  });
  const headers =
    page.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(page.retryAfterSeconds) };
  return sendPage(reply, { status: page.status, body, headers });
}

/** The page for a form whose CSRF token (or origin, or browser cookie) is refused: 403, nothing done. */
export function sendCsrfRefused(reply: FastifyReply): FastifyReply {
  const texts = textsFor();
  return sendErrorPage(reply, { status: 403, title: texts.errorForbidden, message: texts.errorCsrf, texts });
}

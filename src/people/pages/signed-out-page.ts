import type { FastifyReply } from 'fastify';
import { html } from './html.ts';
import { renderPage, sendPage } from './layout.ts';
import { textsFor, type Texts } from './texts.ts';

/**
 * The page RP-initiated logout ends on when the client named no `post_logout_redirect_uri` (OpenID Connect
 * RP-Initiated Logout 1.0 §3).
 */
export function sendSignedOutPage(reply: FastifyReply, texts: Texts = textsFor()): FastifyReply {
  const body = renderPage(texts, {
    title: texts.signedOutTitle,
    main: html`<p>${texts.signedOutMessage}</p>`,
  });
  return sendPage(reply, { body });
}

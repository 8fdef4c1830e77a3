import type { FastifyReply, FastifyRequest } from 'fastify';
import { denyAuthorization, sendExpired } from '../authorize/continue.ts';
import { browserDigest, checkCsrf, readBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { digestOf } from '../digest.ts';
import { sendCsrfRefused } from '../pages/error-page.ts';
import type { PendingLinkRecord } from '../records.ts';
import { connectionKey, formParam, loadSignIn, offeredConnections } from './context.ts';
import { finishSignIn } from './finish.ts';

/**
 * `POST <login>/link`: the person confirmed (or cancelled) linking their new sign-in to the existing account.
 * The pending link is consumed once, only in the browser that signed in; linking runs every check again
 * (users.ts), since the Connection or the holders of the email may have changed meanwhile.
 */
export async function confirmLink(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const linkId = formParam(request, 'link');
  const requestId = formParam(request, 'request');
  if (
    linkId === undefined ||
    requestId === undefined ||
    checkCsrf(request, deps, 'link', linkId, formParam(request, 'csrf'))
  ) {
    return sendCsrfRefused(reply);
  }
  const browser = readBrowser(request, deps) as string;
  const pending = await deps.state.consume<PendingLinkRecord>('pending_link', linkId, deps.now());
  if (
    pending === undefined ||
    pending.value.requestDigest !== digestOf(requestId) ||
    pending.value.browserDigest !== browserDigest(browser)
  ) {
    return sendExpired(reply);
  }
  if (formParam(request, 'decision') !== 'link') {
    return denyAuthorization(
      reply,
      deps,
      requestId,
      'access_denied',
      'the person cancelled linking their account',
    );
  }
  const context = await loadSignIn(deps, requestId);
  if (context === undefined) return sendExpired(reply);
  const { identity, userId } = pending.value;
  const connection = offeredConnections(context).find((c) => connectionKey(c) === identity.connection);
  if (connection === undefined) return sendExpired(reply);
  return finishSignIn(request, reply, deps, {
    context,
    connection,
    identity,
    browser,
    confirmLinkTo: userId,
  });
}

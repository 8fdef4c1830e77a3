import type { FastifyReply, FastifyRequest } from 'fastify';
import { continueAuthorization, sendExpired } from '../authorize/continue.ts';
import { sendSeeOther } from '../authorize/response.ts';
import { browserDigest, checkCsrfToken, csrfToken, readBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { digestOf, randomToken } from '../digest.ts';
import { sendCsrfRefused, sendErrorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';
import { renderLinkPage } from '../pages/link-page.ts';
import { textsFor } from '../pages/texts.ts';
import { signInFacts } from '../membership/rules.ts';
import { updateAuthorizationRequest } from '../authorize/request-update.ts';
import type { AuthorizationRequestRecord, PendingLinkRecord } from '../records.ts';
import { startSession } from '../session.ts';
import { DEFAULT_SIGN_IN_LIMITS, recordFailure, throttleCounters } from '../throttle.ts';
import type { UpstreamIdentity } from '../upstream/upstream.ts';
import { resolveUser } from '../users.ts';
import {
  connectionKey,
  queryParam,
  signInPaths,
  type SignInConnection,
  type SignInContext,
} from './context.ts';

/** What a successful upstream or test-user sign-in hands on. */
export interface SignedInUpstream {
  context: SignInContext;
  connection: SignInConnection;
  identity: UpstreamIdentity;
  /** The browser value of the request (its cookie), already checked by the caller. */
  browser: string;
  /** The user the person confirmed linking to. */
  confirmLinkTo?: string;
}

/**
 * Turns an upstream identity into a signed-in browser: finds or creates the user (users.ts), or asks the person
 * to confirm a link, or refuses; then starts a new session, marks the request signed in (so `prompt=login` and
 * `max_age` count this sign-in) and sends the browser to {@link registerContinueRoute}, where the new session
 * cookie is sent and the authorization goes on.
 */
export async function finishSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  done: SignedInUpstream,
): Promise<FastifyReply> {
  const { context, connection, identity } = done;
  const texts = textsFor();
  const nowMs = deps.now();
  const options = done.confirmLinkTo === undefined ? {} : { confirmLinkTo: done.confirmLinkTo };
  const result = await resolveUser(deps.state, connection.signIn, identity, nowMs, options);
  if (result.kind === 'refused') {
    deps.events.emit('signIn.failed', {
      reason: 'account_refused',
      connection: connectionKey(connection),
      clientId: context.client.clientId,
      detail: result.reason,
    });
    const limits = deps.signInLimits ?? DEFAULT_SIGN_IN_LIMITS;
    const person = { connection: connectionKey(connection), name: identity.subject };
    await recordFailure(deps.state, throttleCounters(limits, request.ip, person), nowMs);
    return sendErrorPage(reply, {
      status: 403,
      title: texts.errorSignInRefused,
      message: result.message,
      texts,
    });
  }
  if (result.kind === 'confirm_link') return sendLinkPage(reply, deps, done, result.userId);
  await startSession(request, reply, deps, {
    userId: result.user.id,
    connection: connectionKey(connection),
    amr: identity.amr,
    facts: signInFacts(connectionKey(connection), identity),
  });
  const signedIn = (r: AuthorizationRequestRecord) => ({ ...r, signedInAtMs: nowMs });
  if (!(await updateAuthorizationRequest(deps, context.requestId, signedIn))) return sendExpired(reply);
  return sendSeeOther(reply, continueUrl(deps, context.requestId, done.browser));
}

/**
 * Where a sign-in sends the browser next. A redirect rather than carrying on in this response: the new session
 * is in the cookie this response sets, which the browser sends from the next request on. The token binds the
 * step to this browser, so no other page can push a request on with this browser's session.
 */
function continueUrl(deps: PeopleDeps, requestId: string, browser: string): string {
  const url = new URL(signInPaths(deps).continue, deps.urls.issuer);
  url.searchParams.set('request', requestId);
  url.searchParams.set('token', csrfToken(browser, 'continue', requestId));
  return url.href;
}

/** Lets the person confirm linking the new identity to an existing user; the identity waits in a record. */
async function sendLinkPage(
  reply: FastifyReply,
  deps: PeopleDeps,
  done: SignedInUpstream,
  userId: string,
): Promise<FastifyReply> {
  const { context, connection, identity } = done;
  const linkId = randomToken();
  const value: PendingLinkRecord = {
    requestDigest: digestOf(context.requestId),
    userId,
    identity,
    browserDigest: browserDigest(done.browser),
  };
  const nowMs = deps.now();
  const result = await deps.state.insert(
    'pending_link',
    linkId,
    { value, expiresAtMs: context.stored.expiresAtMs },
    nowMs,
  );
  if (result !== 'created') throw new Error(`a pending link could not be stored: ${result}`);
  const byEmail = connection.signIn.userMatchingMode.startsWith('email');
  const texts = textsFor();
  const body = renderLinkPage({
    texts,
    linkId,
    requestId: context.requestId,
    csrf: csrfToken(done.browser, 'link', linkId),
    matched: (byEmail ? identity.email : identity.username) ?? '',
    connectionName: connection.signIn.displayName,
    action: signInPaths(deps).link,
  });
  return sendPage(reply, { body, formTargets: [context.stored.value.redirectUri] });
}

/**
 * `GET <login>/continue?request=…&token=…`: carries the authorization on after a sign-in, in a request that
 * carries the new session cookie.
 */
export async function continueAfterSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const requestId = queryParam(request, 'request');
  const browser = readBrowser(request, deps);
  const token = queryParam(request, 'token');
  if (
    requestId === undefined ||
    browser === undefined ||
    !checkCsrfToken(browser, 'continue', requestId, token)
  ) {
    return sendCsrfRefused(reply);
  }
  return continueAuthorization(request, reply, deps, requestId);
}

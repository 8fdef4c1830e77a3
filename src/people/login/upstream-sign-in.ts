import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendExpired } from '../authorize/continue.ts';
import { sendSeeOther } from '../authorize/response.ts';
import { browserDigest, ensureBrowser, readBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { randomToken, sealWith } from '../digest.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { html } from '../pages/html.ts';
import { formActionSource, renderPage, sendPage } from '../pages/layout.ts';
import { textsFor } from '../pages/texts.ts';
import { storePending } from '../pending.ts';
import type { UpstreamLoginRecord } from '../records.ts';
import { DEFAULT_SIGN_IN_LIMITS, recordFailure, throttleCounters } from '../throttle.ts';
import { UpstreamSignInError } from '../upstream/upstream.ts';
import type { UpstreamProvider } from '../upstream/upstream.ts';
import type { ConnectionType } from '../../store/snapshot.ts';
import type { SignInFailureReason } from '../../events.ts';
import {
  connectionKey,
  loadSignIn,
  offeredConnections,
  queryParam,
  upstreamStartUrl,
  type SignInConnection,
  type SignInContext,
} from './context.ts';
import { finishSignIn } from './finish.ts';
import { refuseIfThrottled, sendTooManyPending } from './throttled.ts';

/** How long a person has at the upstream before its answer is no longer taken (RFC 9700 §4.7: state is short-lived). */
export const UPSTREAM_LOGIN_LIFETIME_MS = 10 * 60_000;

/** The longest `error` from an upstream shown on the page; RFC 6749 §4.1.2.1 codes are far shorter. */
const MAX_SHOWN_ERROR = 64;

/**
 * Sends the browser to the upstream: a random `state` keys an `upstream_login` record holding the PKCE verifier,
 * the nonce and the digest of this browser's cookie, so the callback accepts the answer only in the browser that
 * started the sign-in (login CSRF, RFC 9700 §4.7.1).
 */
export async function startUpstreamSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  context: SignInContext,
  connection: SignInConnection,
): Promise<FastifyReply> {
  const texts = textsFor();
  const nowMs = deps.now();
  const counters = throttleCounters(deps.signInLimits ?? DEFAULT_SIGN_IN_LIMITS, request.ip);
  if (await refuseIfThrottled(reply, deps, counters, connectionKey(connection))) return reply;
  const provider = await providerFor(connection.type, deps);
  if (provider === undefined) return sendExpired(reply);
  const state = randomToken();
  let start;
  try {
    start = await provider.begin(connection, deps.urls.loginCallback, state);
  } catch (err) {
    if (!(err instanceof UpstreamSignInError)) throw err;
    const name = connection.signIn.displayName;
    return sendErrorPage(reply, {
      status: 502,
      title: texts.errorUpstream(name),
      message: err.message,
      texts,
    });
  }
  const browser = ensureBrowser(request, reply, deps);
  const value: UpstreamLoginRecord = {
    sealedRequestId: sealWith(state, 'request', context.requestId),
    connection: connectionKey(connection),
    sealedCodeVerifier: sealWith(state, 'code_verifier', start.codeVerifier),
    ...(start.nonce === undefined ? {} : { nonce: start.nonce }),
    browserDigest: browserDigest(browser),
  };
  const pending = { key: state, value, holder: request.ip, expiresAtMs: nowMs + UPSTREAM_LOGIN_LIFETIME_MS };
  const stored = await storePending(deps, 'upstreamLoginsPerAddress', pending, nowMs);
  if (!stored.stored) return sendTooManyPending(reply, stored.retryAfterSeconds);
  if (request.method === 'POST' && !formActionAllowed(upstreamStartUrl(connection), start.url)) {
    // The login page's form-action did not allow this host (discovery named another): a link is not governed by it.
    return sendPage(reply, {
      body: renderPage(texts, {
        title: texts.loginTitle,
        main: html`<p>
          <a href="${start.url}">${texts.continueToUpstream(connection.signIn.displayName)}</a>
        </p>`,
      }),
    });
  }
  return sendSeeOther(reply, start.url);
}

/**
 * `GET <login>/callback`: the upstream's answer. The `upstream_login` record is consumed by `state` (once, and only
 * in the browser that started it); an `error` from the upstream, or a failure to finish, is shown as a page.
 */
export async function upstreamCallback(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const texts = textsFor();
  const nowMs = deps.now();
  const state = queryParam(request, 'state');
  const browser = readBrowser(request, deps);
  const pending =
    state === undefined || state.length > 200
      ? undefined
      : await deps.state.consume<UpstreamLoginRecord>('upstream_login', state, nowMs);
  if (
    pending === undefined ||
    browser === undefined ||
    pending.value.browserDigest !== browserDigest(browser)
  ) {
    await failed(
      request,
      deps,
      'state_mismatch',
      pending?.value.connection ?? 'unknown',
      'no pending sign-in for this state in this browser',
    );
    return sendErrorPage(reply, {
      status: 400,
      title: texts.errorStateMismatch,
      message: texts.errorStateMismatchMessage,
      texts,
    });
  }
  const context = await loadSignIn(deps, sealWith(state as string, 'request', pending.value.sealedRequestId));
  if (context === undefined) return sendExpired(reply);
  // The client must still offer the Connection: configuration may have changed while the person was upstream.
  const connection = offeredConnections(context).find((c) => connectionKey(c) === pending.value.connection);
  const provider = connection === undefined ? undefined : await providerFor(connection.type, deps);
  if (connection === undefined || provider === undefined) return sendExpired(reply);
  const name = connection.signIn.displayName;
  const upstreamError = queryParam(request, 'error');
  if (upstreamError !== undefined) {
    await failed(
      request,
      deps,
      'upstream_denied',
      pending.value.connection,
      `error=${upstreamError.slice(0, MAX_SHOWN_ERROR)}`,
    );
    const message = texts.errorUpstreamMessage(name, upstreamError.slice(0, MAX_SHOWN_ERROR));
    return sendErrorPage(reply, { status: 400, title: texts.errorUpstream(name), message, texts });
  }
  const query = request.url.indexOf('?');
  const callback = new URLSearchParams(query === -1 ? '' : request.url.slice(query + 1));
  let identity;
  try {
    const { nonce } = pending.value;
    const codeVerifier = sealWith(state as string, 'code_verifier', pending.value.sealedCodeVerifier);
    identity = await provider.finish(connection, deps.urls.loginCallback, callback, {
      codeVerifier,
      ...(nonce === undefined ? {} : { nonce }),
    });
  } catch (err) {
    if (!(err instanceof UpstreamSignInError)) throw err;
    await failed(request, deps, 'upstream_failed', pending.value.connection, err.reason);
    return sendErrorPage(reply, {
      status: 400,
      title: texts.errorUpstream(name),
      message: err.message,
      texts,
    });
  }
  return finishSignIn(request, reply, deps, { context, connection, identity, browser });
}

/**
 * Whether the login page's CSP, which allowed its forms to reach `expected` (context.ts `upstreamStartUrl`), lets
 * the choice's redirect reach `actual`, the authorization URL the provider built.
 */
export function formActionAllowed(expected: string | undefined, actual: string): boolean {
  const allowed = expected === undefined ? undefined : formActionSource(expected);
  return allowed !== undefined && allowed === formActionSource(actual);
}

/** Counts a failed upstream sign-in against the source address and reports it. */
async function failed(
  request: FastifyRequest,
  deps: PeopleDeps,
  reason: SignInFailureReason,
  connection: string,
  detail: string,
): Promise<void> {
  deps.events.emit('signIn.failed', { reason, connection, detail });
  const counters = throttleCounters(deps.signInLimits ?? DEFAULT_SIGN_IN_LIMITS, request.ip);
  await recordFailure(deps.state, counters, deps.now());
}

/**
 * The upstream provider, loaded on the first upstream sign-in: its HTTP client (undici) and ID token checks stay
 * out of a server nobody signs in to through an upstream (dev mode's start-up, idle memory; issue 11).
 */
async function providerFor(type: ConnectionType, deps: PeopleDeps): Promise<UpstreamProvider | undefined> {
  const { upstreamProvider } = await import('../upstream/providers.ts');
  return upstreamProvider(type, deps);
}

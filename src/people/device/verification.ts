import type { FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_LIFETIME_MS } from '../authorize/continue.ts';
import { continueAuthorization } from '../authorize/continue.ts';
import { browserDigest, checkCsrf, csrfToken, ensureBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { randomToken, sealCode } from '../digest.ts';
import { formParam, queryParam } from '../login/context.ts';
import { refuseIfThrottled, sendTooManyPending } from '../login/throttled.ts';
import { renderDeviceCodePage } from '../pages/device-page.ts';
import { sendCsrfRefused } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';
import { textsFor } from '../pages/texts.ts';
import { storePending } from '../pending.ts';
import type { AuthorizationRequestRecord, DeviceAuthorizationRecord } from '../records.ts';
import { recordFailure } from '../throttle.ts';
import { formatUserCode, normalizeUserCode } from './codes.ts';
import { mayStillSignIn, USER_CODE_SEAL } from './device-client.ts';
import { awaitsPerson, DEVICE_CODE_LIFETIME_MS } from './poll.ts';
import { DEFAULT_USER_CODE_LIMITS, userCodeCounters } from './user-code-throttle.ts';

/** The CSRF token's request id of the code form: there is no request yet when the code is typed. */
const CODE_FORM = 'user_code';

/**
 * `GET <device>[?user_code=…]`: the verification page (RFC 8628 §3.3). With `verification_uri_complete` the code
 * is filled in, and the person still submits it (§5.4: the code is confirmed, never taken from a link alone).
 */
export async function showDevicePage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const browser = ensureBrowser(request, reply, deps);
  const code = normalizeUserCode(queryParam(request, 'user_code') ?? '');
  return sendCodeForm(reply, deps, browser, {
    ...(code === undefined ? {} : { userCode: formatUserCode(code) }),
  });
}

/**
 * `POST <device>`: the person entered a code. A code of the wrong shape is refused without a lookup; a browser
 * or address past its limit of wrong codes is refused unchecked (429); an unknown, expired or answered code
 * counts against both. A code that awaits its person starts a sign-in for it: an authorization request on the
 * verification page, carried on through the login and confirmation pages like any other (continue.ts).
 */
export async function submitUserCode(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const texts = textsFor();
  if (checkCsrf(request, deps, 'device', CODE_FORM, formParam(request, 'csrf')) !== undefined) {
    return sendCsrfRefused(reply);
  }
  const browser = ensureBrowser(request, reply, deps);
  const typed = formParam(request, 'user_code') ?? '';
  const code = normalizeUserCode(typed);
  if (code === undefined) {
    return sendCodeForm(
      reply,
      deps,
      browser,
      { userCode: typed.slice(0, 64), error: texts.deviceCodeMalformed },
      400,
    );
  }
  const counters = userCodeCounters(
    deps.userCodeLimits ?? DEFAULT_USER_CODE_LIMITS,
    request.ip,
    browserDigest(browser),
  );
  if (await refuseIfThrottled(reply, deps, counters, 'device')) return reply;
  const nowMs = deps.now();
  const stored = await deps.state.get<DeviceAuthorizationRecord>('device_authorization', code, nowMs);
  const client =
    stored === undefined ? undefined : mayStillSignIn(deps.source.current(), stored.value.clientId);
  if (stored === undefined || client === undefined || !awaitsPerson(stored.value, nowMs)) {
    await recordFailure(deps.state, counters, nowMs);
    const shown = formatUserCode(code);
    return sendCodeForm(reply, deps, browser, { userCode: shown, error: texts.deviceCodeUnknown }, 400);
  }
  const requestId = randomToken();
  const value: AuthorizationRequestRecord = {
    clientId: stored.value.clientId,
    redirectUri: deps.urls.verificationUri,
    scopes: stored.value.scopes,
    resources: stored.value.resources,
    ...(stored.value.organization === undefined ? {} : { organization: stored.value.organization }),
    codeChallenge: '',
    prompt: [],
    pushed: false,
    createdAtMs: nowMs,
    device: { sealedUserCode: sealCode(requestId, USER_CODE_SEAL, code) },
  };
  const expiresAtMs = Math.min(
    nowMs + REQUEST_LIFETIME_MS,
    stored.value.createdAtMs + DEVICE_CODE_LIFETIME_MS,
  );
  const pending = { key: requestId, value, holder: request.ip, expiresAtMs };
  const started = await storePending(deps, 'requestsPerAddress', pending, nowMs);
  if (!started.stored) return sendTooManyPending(reply, started.retryAfterSeconds);
  return continueAuthorization(request, reply, deps, requestId);
}

function sendCodeForm(
  reply: FastifyReply,
  deps: PeopleDeps,
  browser: string,
  form: { userCode?: string; error?: string },
  status = 200,
): FastifyReply {
  const body = renderDeviceCodePage({
    texts: textsFor(),
    action: deps.urls.paths.device,
    csrf: csrfToken(browser, 'device', CODE_FORM),
    ...form,
  });
  // The form posts to this page, and a code that is right answers with a redirect to the login or confirmation.
  return sendPage(reply, { status, body, formTargets: [] });
}

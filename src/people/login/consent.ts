import type { FastifyReply, FastifyRequest } from 'fastify';
import { continueAuthorization, denyAuthorization, sendExpired } from '../authorize/continue.ts';
import { csrfToken, ensureBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { formatUserCode } from '../device/codes.ts';
import { USER_CODE_SEAL } from '../device/device-client.ts';
import { unsealCode } from '../digest.ts';
import { describeScopes, renderConsentPage } from '../pages/consent-page.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';
import { textsFor } from '../pages/texts.ts';
import { updateAuthorizationRequest } from '../authorize/request-update.ts';
import { readSession, recordConsent } from '../session.ts';
import { formParam, loadSignIn, queryParam, signInPaths, type SignInContext } from './context.ts';
import { postedSignIn } from './posted-form.ts';

/**
 * `GET <consent>?request=…`: a third-party client's consent page, and a device sign-in's confirmation. Only the request id is read from the URL:
 * what is asked for comes from the stored request, so no parameter added to the URL changes it. Without a
 * session the authorization goes on as usual (to the login page).
 */
export async function showConsentPage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const context = await loadSignIn(deps, queryParam(request, 'request'));
  if (context === undefined) return sendExpired(reply);
  if ((await readSession(request, deps)) === undefined) {
    return continueAuthorization(request, reply, deps, context.requestId);
  }
  const browser = ensureBrowser(request, reply, deps);
  const texts = textsFor();
  const { logoUri } = context.client.people;
  const body = renderConsentPage({
    texts,
    clientName: context.client.people.displayName,
    logoUri,
    requestId: context.requestId,
    csrf: csrfToken(browser, 'consent', context.requestId),
    scopes: describeScopes(texts, context.stored.value.scopes, (scope) => apiOfScope(context, scope)),
    action: signInPaths(deps).consent,
    ...deviceOf(context),
  });
  // Allow and Deny both answer with a redirect to the client, which form-action governs too.
  return sendPage(reply, { body, formTargets: [context.stored.value.redirectUri], logoUri });
}

/**
 * `POST <consent>`: Allow records the consent on the session and on the request, then carries the authorization
 * on; Deny ends it with `access_denied` (RFC 6749 §4.1.2.1). The token binds the answer to this browser and this
 * request: a token from another request's page, or none, is refused.
 */
export async function answerConsent(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const texts = textsFor();
  const posted = await postedSignIn(request, reply, deps, 'consent');
  if ('reply' in posted) return posted.reply;
  const { context } = posted;
  const { requestId } = context;
  const decision = formParam(request, 'decision');
  if (decision === 'deny') {
    return denyAuthorization(reply, deps, requestId, 'access_denied', 'the person denied access');
  }
  if (decision !== 'allow') {
    return sendErrorPage(reply, {
      status: 400,
      title: texts.errorTitle,
      message: texts.errorBadRequest,
      texts,
    });
  }
  const { clientId, scopes } = context.stored.value;
  if (!(await recordConsent(request, deps, clientId, scopes))) {
    return continueAuthorization(request, reply, deps, requestId);
  }
  if (!(await updateAuthorizationRequest(deps, requestId, (r) => ({ ...r, consented: true })))) {
    return sendExpired(reply);
  }
  return continueAuthorization(request, reply, deps, requestId);
}

/** For a device's sign-in, the code its device shows (formatted), which the page asks the person to compare. */
function deviceOf(context: SignInContext): { device?: { userCode: string } } {
  const sealed = context.stored.value.device?.sealedUserCode;
  if (sealed === undefined) return {};
  return { device: { userCode: formatUserCode(unsealCode(context.requestId, USER_CODE_SEAL, sealed)) } };
}

/**
 * The API among the request's (or, with none named, the client's) that declares `scope`: its displayName (else
 * its identifier) and the scope's description, when the ResourceServer declares them.
 */
function apiOfScope(
  context: SignInContext,
  scope: string,
): { api: string; description?: string } | undefined {
  const resources = context.stored.value.resources;
  for (const grant of context.client.permissions.values()) {
    const { api } = grant;
    if (resources.length > 0 && !resources.includes(api.identifier)) continue;
    if (!api.scopes.includes(scope)) continue;
    const description = api.scopeDescriptions?.get(scope);
    return { api: api.displayName ?? api.identifier, ...(description === undefined ? {} : { description }) };
  }
  return undefined;
}

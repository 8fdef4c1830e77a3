import type { FastifyReply, FastifyRequest } from 'fastify';
import { continueAuthorization, denyAuthorization, sendExpired } from '../authorize/continue.ts';
import { updateAuthorizationRequest } from '../authorize/request-update.ts';
import { csrfToken, ensureBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { decideOrganization } from '../membership/organization.ts';
import { sessionPerson } from '../membership/rules.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';
import { renderOrganizationPage } from '../pages/organization-page.ts';
import { textsFor } from '../pages/texts.ts';
import { readSession } from '../session.ts';
import { formParam, loadSignIn, queryParam, type SignInContext } from './context.ts';
import { postedSignIn } from './posted-form.ts';

/**
 * `GET <organization>?request=…`: the choice of organization, for a client that requires one when the person is
 * a member of several. What is offered is computed again from the rules in force and the session's sign-in; in
 * any other case (no session, one organization, none) the authorization goes on as it would without this page.
 */
export async function showOrganizationPage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const context = await loadSignIn(deps, queryParam(request, 'request'));
  if (context === undefined) return sendExpired(reply);
  const choices = await choicesOf(request, deps, context);
  if (choices === undefined) return continueAuthorization(request, reply, deps, context.requestId);
  const browser = ensureBrowser(request, reply, deps);
  const { displayName, logoUri } = context.client.people;
  const body = renderOrganizationPage({
    texts: textsFor(),
    clientName: displayName,
    logoUri,
    requestId: context.requestId,
    csrf: csrfToken(browser, 'organization', context.requestId),
    choices: choices.map((o) => ({ id: o.id, label: o.displayName ?? o.name })),
    action: deps.urls.paths.organization,
  });
  return sendPage(reply, { body, formTargets: [context.stored.value.redirectUri], logoUri });
}

/**
 * `POST <organization>`: records the chosen organization on the request, when it is one offered, and carries the
 * authorization on; Cancel (an empty choice) ends it with `access_denied`. Bound to this browser and request by
 * the CSRF token.
 */
export async function chooseOrganization(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const texts = textsFor();
  const posted = await postedSignIn(request, reply, deps, 'organization');
  if ('reply' in posted) return posted.reply;
  const { context } = posted;
  const { requestId } = context;
  const chosen = formParam(request, 'organization');
  if (chosen === '') {
    return denyAuthorization(reply, deps, requestId, 'access_denied', 'the person chose no organization');
  }
  const choices = await choicesOf(request, deps, context);
  if (choices === undefined) return continueAuthorization(request, reply, deps, requestId);
  if (chosen === undefined || !choices.some((o) => o.id === chosen)) {
    return sendErrorPage(reply, {
      status: 400,
      title: texts.errorTitle,
      message: texts.errorBadRequest,
      texts,
    });
  }
  if (!(await updateAuthorizationRequest(deps, requestId, (r) => ({ ...r, organization: chosen })))) {
    return sendExpired(reply);
  }
  return continueAuthorization(request, reply, deps, requestId);
}

/** The organizations to choose among, or undefined when this request has no choice to make now. */
async function choicesOf(request: FastifyRequest, deps: PeopleDeps, context: SignInContext) {
  if (context.stored.value.organization !== undefined) return undefined;
  const session = await readSession(request, deps);
  if (session === undefined) return undefined;
  const outcome = decideOrganization(undefined, context.client, sessionPerson(session.record));
  return outcome.kind === 'choose' ? outcome.choices.map((m) => m.organization) : undefined;
}

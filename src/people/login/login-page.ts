import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendExpired } from '../authorize/continue.ts';
import { sendSeeOther } from '../authorize/response.ts';
import { csrfToken, ensureBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';
import { renderLoginPage, type LoginPage } from '../pages/login-page.ts';
import { textsFor, type Texts } from '../pages/texts.ts';
import {
  connectionKey,
  formParam,
  loadSignIn,
  offeredConnections,
  queryParam,
  signInPaths,
  upstreamStartUrl,
  type SignInConnection,
  type SignInContext,
} from './context.ts';
import { postedSignIn } from './posted-form.ts';
import { startUpstreamSignIn } from './upstream-sign-in.ts';

/**
 * `GET <login>?request=…[&connection=…]`: the login page of an authorization request. With one Connection the
 * choice is skipped: a `test` Connection shows its form, an upstream one sends the browser there at once.
 */
export async function showLoginPage(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const context = await loadSignIn(deps, queryParam(request, 'request'));
  if (context === undefined) return sendExpired(reply);
  const texts = textsFor();
  const offered = offeredConnections(context);
  if (offered.length === 0) {
    const message = texts.errorNoConnectionsMessage(context.client.people.displayName);
    return sendErrorPage(reply, { status: 400, title: texts.errorNoConnections, message, texts });
  }
  const chosenKey = queryParam(request, 'connection');
  const chosen = chosenKey === undefined ? undefined : offered.find((c) => connectionKey(c) === chosenKey);
  if (chosenKey !== undefined && chosen === undefined) return sendUnknownConnection(reply, texts);
  const only = offered.length === 1 ? offered[0] : undefined;
  const target = chosen ?? only;
  if (target !== undefined && target.type !== 'test')
    return startUpstreamSignIn(request, reply, deps, context, target);
  const browser = ensureBrowser(request, reply, deps);
  if (target !== undefined) {
    return sendTestUserForm(reply, deps, context, target, {
      browser,
      username: context.stored.value.loginHint,
    });
  }
  return sendPage(reply, {
    body: renderLoginPage({
      ...pageBase(deps, context, texts),
      choose: {
        choices: offered.map((c) => ({ key: connectionKey(c), displayName: c.signIn.displayName })),
        csrf: csrfToken(browser, 'choose_connection', context.requestId),
      },
    }),
    // Choosing an upstream Connection answers with a redirect there, which form-action governs too.
    formTargets: offered.map(upstreamStartUrl).filter((u) => u !== undefined),
    logoUri: context.client.people.logoUri,
  });
}

/** `POST <login>`: the person chose a Connection. */
export async function chooseConnection(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const texts = textsFor();
  const posted = await postedSignIn(request, reply, deps, 'choose_connection');
  if ('reply' in posted) return posted.reply;
  const { context } = posted;
  const { requestId } = context;
  const key = formParam(request, 'connection');
  const connection = offeredConnections(context).find((c) => connectionKey(c) === key);
  if (connection === undefined) return sendUnknownConnection(reply, texts);
  if (connection.type !== 'test') return startUpstreamSignIn(request, reply, deps, context, connection);
  const url = new URL(signInPaths(deps).login, deps.urls.issuer);
  url.searchParams.set('request', requestId);
  url.searchParams.set('connection', connectionKey(connection));
  return sendSeeOther(reply, url.href);
}

/** The form of a `test` Connection, again with `error` after a failed attempt. */
export function sendTestUserForm(
  reply: FastifyReply,
  deps: PeopleDeps,
  context: SignInContext,
  connection: SignInConnection,
  form: { browser: string; username?: string; error?: string; status?: number },
): FastifyReply {
  const texts = textsFor();
  const page: LoginPage = {
    ...pageBase(deps, context, texts),
    testUser: {
      connection: { key: connectionKey(connection), displayName: connection.signIn.displayName },
      csrf: csrfToken(form.browser, 'test_user', context.requestId),
      ...(form.username === undefined ? {} : { username: form.username }),
      ...(form.error === undefined ? {} : { error: form.error }),
    },
  };
  // A sign-in answers with a redirect on to the client (or the consent page): form-action governs it too.
  return sendPage(reply, {
    status: form.status ?? 200,
    body: renderLoginPage(page),
    formTargets: [context.stored.value.redirectUri],
    logoUri: context.client.people.logoUri,
  });
}

function pageBase(deps: PeopleDeps, context: SignInContext, texts: Texts) {
  return {
    texts,
    clientName: context.client.people.displayName,
    logoUri: context.client.people.logoUri,
    requestId: context.requestId,
    loginPath: signInPaths(deps).login,
  };
}

export function sendUnknownConnection(reply: FastifyReply, texts: Texts): FastifyReply {
  return sendErrorPage(reply, {
    status: 400,
    title: texts.errorTitle,
    message: texts.errorUnknownConnection,
    texts,
  });
}

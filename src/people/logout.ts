import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { InvalidRequest } from '../server/errors.ts';
import type { Form } from '../server/form.ts';
import type { CompiledClient, Snapshot } from '../store/snapshot.ts';
import {
  paramsFromForm,
  paramsFromUrl,
  repeatedParameter,
  single,
  type Params,
} from './authorize/parameters.ts';
import { sendFailurePage } from './authorize/failure-page.ts';
import { responseUrl, sendSeeOther } from './authorize/response.ts';
import type { PeopleDeps } from './deps.ts';
import { sendErrorPage } from './pages/error-page.ts';
import { html } from './pages/html.ts';
import { renderPage, sendPage } from './pages/layout.ts';
import { textsFor } from './pages/texts.ts';
import { endSession } from './session.ts';

/** A logout request that must not redirect: shown as a page; `message` is public, `detail` for logs. */
export class LogoutRefused extends Error {
  override readonly name = 'LogoutRefused';
}

/** What the client named: the client from `client_id` and the one the `id_token_hint` was issued to. */
export interface LogoutInput {
  postLogoutRedirectUri: string | undefined;
  clientId: string | undefined;
  /** The `aud` (or `azp`) of a verified `id_token_hint`. */
  hintClientId: string | undefined;
  /** The client the request is for, looked up by `clientId ?? hintClientId`. */
  client: CompiledClient | undefined;
}

/**
 * Where to send the browser after logout, or undefined for the signed-out page (OpenID Connect RP-Initiated
 * Logout 1.0 §2 and §3): `post_logout_redirect_uri` only when it is registered for the client exactly as sent,
 * and the client is known from `client_id` or the hint, which must agree.
 *
 * @throws {LogoutRefused} for a redirect that is not registered, or a client that cannot be told
 */
export function decideLogoutRedirect(input: LogoutInput): string | undefined {
  const { postLogoutRedirectUri: uri, clientId, hintClientId, client } = input;
  if (clientId !== undefined && hintClientId !== undefined && clientId !== hintClientId) {
    throw new LogoutRefused('The sign-out link names one application and carries a token of another.');
  }
  if (uri === undefined) return undefined;
  if (clientId === undefined && hintClientId === undefined) {
    throw new LogoutRefused('The sign-out link does not say which application it comes from.');
  }
  if (client?.people === undefined || !client.people.postLogoutRedirectUris.includes(uri)) {
    throw new LogoutRefused(
      'The address to return to after signing out is not registered for this application.',
    );
  }
  return uri;
}

/**
 * The client an `id_token_hint` was issued to, when it is an ID token this server signed with a key it still
 * publishes. Its expiry is not checked: a hint is typically presented after the ID token expired (RP-Initiated
 * Logout §2), and it only identifies the client; it authorizes nothing.
 */
export async function hintedClientId(hint: string, snapshot: Snapshot, issuer: string): Promise<string> {
  let payload: Record<string, unknown>;
  let typ: unknown;
  try {
    const keys = createLocalJWKSet({ keys: snapshot.keys.published as JWK[] });
    const verified = await compactVerify(hint, keys);
    typ = verified.protectedHeader.typ;
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    throw new LogoutRefused('The sign-out link carries a token this server did not issue.');
  }
  const { iss, aud, azp } = payload;
  const audience = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
  const client = typeof azp === 'string' ? azp : audience;
  // RFC 9068 §4: an access token, signed with the same keys, is not an ID token.
  if (iss !== issuer || typeof client !== 'string' || typ === 'at+jwt') {
    throw new LogoutRefused('The sign-out link carries a token this server did not issue.');
  }
  return client;
}

/** Registers RP-initiated logout at `end_session_endpoint`, `GET` with a query or `POST` with a form. */
export function registerEndSessionEndpoint(app: FastifyInstance, deps: PeopleDeps): void {
  const path = deps.urls.paths.endSession;
  const errorHandler = (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    sendFailurePage(request, reply, err);
  app.get(path, { errorHandler }, (request, reply) =>
    logout(request, reply, deps, paramsFromUrl(request.url)),
  );
  app.post(path, { errorHandler }, (request, reply) =>
    logout(
      request,
      reply,
      deps,
      paramsFromForm((request.body as Form | undefined) ?? { params: {}, resources: [] }),
    ),
  );
  app.route({
    method: ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'],
    url: path,
    errorHandler,
    handler: async (request) => {
      throw new InvalidRequest(`${request.method} is not allowed here: use GET or POST`, {
        status: 405,
        headers: { allow: 'GET, HEAD, POST' },
      });
    },
  });
}

async function logout(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  params: Params,
): Promise<FastifyReply> {
  const texts = textsFor();
  let target: string | undefined;
  let state: string | undefined;
  try {
    if (repeatedParameter(params) !== undefined) throw new LogoutRefused(texts.errorBadRequest);
    const snapshot = deps.source.current();
    const hint = single(params, 'id_token_hint');
    const clientId = single(params, 'client_id');
    const hintClientId =
      hint === undefined ? undefined : await hintedClientId(hint, snapshot, deps.urls.issuer);
    const id = clientId ?? hintClientId;
    target = decideLogoutRedirect({
      postLogoutRedirectUri: single(params, 'post_logout_redirect_uri'),
      clientId,
      hintClientId,
      client: id === undefined ? undefined : snapshot.clients.get(id),
    });
    state = single(params, 'state');
  } catch (err) {
    if (!(err instanceof LogoutRefused)) throw err;
    // Nothing ends: a link that cannot be trusted to bring the person back should not sign them out either.
    return sendErrorPage(reply, { status: 400, title: texts.errorTitle, message: err.message, texts });
  }
  await endSession(request, reply, deps);
  if (target !== undefined) return sendSeeOther(reply, responseUrl(target, { state }));
  const body = renderPage(texts, {
    title: texts.signedOutTitle,
    main: html`<p>${texts.signedOutMessage}</p>`,
  });
  return sendPage(reply, { body });
}

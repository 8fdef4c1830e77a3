import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, OAuthError, quote } from '../../server/errors.ts';
import { registerFormParser } from '../../server/form.ts';
import type { PeopleDeps } from '../deps.ts';
import { randomToken } from '../digest.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { textsFor } from '../pages/texts.ts';
import { storePending } from '../pending.ts';
import type { AuthorizationRequestRecord } from '../records.ts';
import { continueAuthorization, REQUEST_LIFETIME_MS } from './continue.ts';
import { sendFailurePage } from './failure-page.ts';
import { InvalidRequestUri, NoRedirect, TooManyPending } from './errors.ts';
import { all, paramsFromBody, paramsFromUrl, single, type Params } from './parameters.ts';
import { conflictingParameter, pushedRequestId } from './pushed.ts';
import { resolveClient, resolveRedirectUri, type PeopleClient } from './redirect-uri.ts';
import { errorResponseUrl, sendSeeOther } from './response.ts';
import { validateAuthorizationRequest } from './validate.ts';

/**
 * Registers the authorization endpoint (RFC 6749 §3.1, OpenID Connect Core §3.1.2.1): `GET` with the query and
 * `POST` with a form. In its own scope, whose form parser hands over the raw body, so repeated parameters are
 * seen and answered like any other bad parameter instead of failing the parse.
 */
export function registerAuthorizationEndpoint(app: FastifyInstance, deps: PeopleDeps): void {
  const path = deps.urls.paths.authorize;
  void app.register(async (scope) => {
    registerFormParser(scope, (body) => body);
    scope.setErrorHandler((err, request, reply) => sendFailurePage(request, reply, err));
    scope.get(path, (request, reply) => authorize(request, reply, deps, paramsFromUrl(request.url)));
    scope.post(path, (request, reply) =>
      authorize(request, reply, deps, paramsFromBody(typeof request.body === 'string' ? request.body : '')),
    );
    scope.route({
      method: ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'],
      url: path,
      handler: async (request) => {
        throw new InvalidRequest(`${request.method} is not allowed here: use GET or POST`, {
          status: 405,
          headers: { allow: 'GET, HEAD, POST' },
        });
      },
    });
  });
}

async function authorize(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  params: Params,
): Promise<FastifyReply> {
  let client: PeopleClient;
  let redirectUri: string;
  try {
    client = resolveClient(deps.source.current(), params);
    // RFC 6749 §3.1: an empty parameter counts as omitted.
    if (all(params, 'request_uri').length > 0)
      return await authorizePushed(request, reply, deps, client, params);
    redirectUri = resolveRedirectUri(client, params);
  } catch (err) {
    if (err instanceof NoRedirect) return sendNoRedirectPage(reply, err);
    throw err;
  }
  try {
    if (client.people.requirePushedAuthorizationRequests) {
      throw new InvalidRequest('this client must push its authorization requests first (PAR, RFC 9126)');
    }
    const nowMs = deps.now();
    const record = validateAuthorizationRequest(params, client, redirectUri, { nowMs, pushed: false });
    return await startAuthorization(request, reply, deps, record);
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    return sendSeeOther(reply, errorResponseUrl(redirectUri, err, stateOf(params), deps.urls.issuer));
  }
}

/**
 * A request by reference to one pushed earlier (RFC 9126 §4): the pushed record is spent here, once, and
 * carried on under a new id for the pages, so the `request_uri` cannot be replayed.
 */
async function authorizePushed(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  client: PeopleClient,
  params: Params,
): Promise<FastifyReply> {
  const nowMs = deps.now();
  let id: string | undefined;
  try {
    const requestUri = single(params, 'request_uri');
    id = requestUri === undefined ? undefined : pushedRequestId(requestUri);
  } catch {
    id = undefined;
  }
  const found = id && (await deps.state.get<AuthorizationRequestRecord>('authorization_request', id, nowMs));
  if (id === undefined || !found || !found.value.pushed || found.value.clientId !== client.clientId) {
    const err = new InvalidRequestUri('request_uri is unknown, expired or already used');
    return sendUnverifiedError(reply, deps, client, params, err);
  }
  const pushed = found.value;
  const conflict = conflictingParameter(params, pushed);
  const err =
    conflict !== undefined
      ? new InvalidRequest(`parameter ${quote(conflict)} differs from the pushed request`)
      : (await deps.state.consume('authorization_request', id, nowMs)) === undefined
        ? new InvalidRequestUri('request_uri is unknown, expired or already used')
        : undefined;
  if (err !== undefined) {
    return sendSeeOther(reply, errorResponseUrl(pushed.redirectUri, err, pushed.state, deps.urls.issuer));
  }
  return startAuthorization(request, reply, deps, { ...pushed, createdAtMs: nowMs });
}

/**
 * An error before a pushed request told us the redirect URI: it goes to the one the front channel names when
 * that is registered (or the only one registered), else to a page.
 */
function sendUnverifiedError(
  reply: FastifyReply,
  deps: PeopleDeps,
  client: PeopleClient,
  params: Params,
  err: OAuthError,
): FastifyReply {
  try {
    const redirectUri = resolveRedirectUri(client, params);
    return sendSeeOther(reply, errorResponseUrl(redirectUri, err, stateOf(params), deps.urls.issuer));
  } catch (e) {
    if (e instanceof NoRedirect) return sendNoRedirectPage(reply, new NoRedirect(err.description));
    throw e;
  }
}

/** Stores an accepted request under a new random id and carries it on. */
async function startAuthorization(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  record: AuthorizationRequestRecord,
): Promise<FastifyReply> {
  const nowMs = deps.now();
  const id = randomToken();
  const pending = { key: id, value: record, holder: request.ip, expiresAtMs: nowMs + REQUEST_LIFETIME_MS };
  const stored = await storePending(deps, 'requestsPerAddress', pending, nowMs);
  if (!stored.stored) {
    const err = new TooManyPending(
      'too many sign-ins are in progress from this network; try again shortly',
      stored.retryAfterSeconds,
    );
    return sendSeeOther(reply, errorResponseUrl(record.redirectUri, err, record.state, deps.urls.issuer));
  }
  return continueAuthorization(request, reply, deps, id);
}

/** `state` to echo in an error response: the one value sent, or none when it is repeated or too long. */
function stateOf(params: Params): string | undefined {
  try {
    return single(params, 'state');
  } catch {
    return undefined;
  }
}

function sendNoRedirectPage(reply: FastifyReply, err: NoRedirect): FastifyReply {
  const texts = textsFor();
  return sendErrorPage(reply, { status: 400, title: texts.errorTitle, message: err.message, texts });
}

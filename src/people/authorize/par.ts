import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { nonEmpty } from '../../server/client-auth.ts';
import { InvalidRequest, NO_STORE, UnauthorizedClient } from '../../server/errors.ts';
import type { Form } from '../../server/form.ts';
import type { CompiledClient } from '../../store/snapshot.ts';
import { registerClientFormEndpoint } from '../authenticate-form-client.ts';
import type { PeopleDeps } from '../deps.ts';
import { randomToken } from '../digest.ts';
import { storePending } from '../pending.ts';
import { NoRedirect, TooManyPending } from './errors.ts';
import { paramsFromForm } from './parameters.ts';
import { REQUEST_URI_PREFIX } from './pushed.ts';
import { resolveRedirectUri, type PeopleClient } from './redirect-uri.ts';
import { validateAuthorizationRequest } from './validate.ts';

/**
 * How long a pushed request may wait for the browser: the client redirects right after pushing, so a minute is
 * ample (RFC 9126 §2.2 suggests 5 to 600 seconds), and a short life keeps a leaked `request_uri` of little use.
 */
export const PUSHED_REQUEST_LIFETIME_SECONDS = 60;

/**
 * Registers `POST /oauth2/par` (RFC 9126 §2): the client authenticates as at the token endpoint (a public client
 * names itself with `client_id`), the parameters are checked as at the authorization endpoint, and the answer
 * is a one-time `request_uri`. Errors are JSON bodies (§2.3), never redirects.
 */
export function registerParEndpoint(app: FastifyInstance, deps: PeopleDeps): void {
  registerClientFormEndpoint(app, deps, deps.urls.paths.par, (request, reply, form, client) =>
    pushAuthorizationRequest(request, reply, deps, form, client),
  );
}

async function pushAuthorizationRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  form: Form,
  client: CompiledClient,
): Promise<FastifyReply> {
  if (client.people === undefined || !client.grantTypes.has('authorization_code')) {
    throw new UnauthorizedClient('this client may not use the authorization code grant');
  }
  // RFC 9126 §2.1: a pushed request cannot itself refer to another.
  if (nonEmpty(form.params.request_uri) !== undefined) {
    throw new InvalidRequest('request_uri must not be sent to the pushed authorization request endpoint');
  }
  const params = paramsFromForm(form);
  let redirectUri: string;
  try {
    redirectUri = resolveRedirectUri(client as PeopleClient, params);
  } catch (err) {
    if (!(err instanceof NoRedirect)) throw err;
    throw new InvalidRequest(err.detail);
  }
  const nowMs = deps.now();
  const record = validateAuthorizationRequest(params, client as PeopleClient, redirectUri, {
    nowMs,
    pushed: true,
  });
  const id = randomToken();
  const expiresAtMs = nowMs + PUSHED_REQUEST_LIFETIME_SECONDS * 1000;
  const pending = { key: id, value: record, holder: client.clientId, expiresAtMs };
  const stored = await storePending(deps, 'pushedPerClient', pending, nowMs);
  if (!stored.stored) {
    throw new TooManyPending(
      'this client has too many pushed requests waiting for their browser; try again shortly',
      stored.retryAfterSeconds,
    );
  }
  return reply
    .code(201)
    .headers(NO_STORE)
    .send(
      JSON.stringify({ request_uri: REQUEST_URI_PREFIX + id, expires_in: PUSHED_REQUEST_LIFETIME_SECONDS }),
    );
}

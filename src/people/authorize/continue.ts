import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorDescriptionText, type OAuthError } from '../../server/errors.ts';
import type { Snapshot } from '../../store/snapshot.ts';
import type { PeopleDeps } from '../deps.ts';
import { answerDevice } from '../device/answer.ts';
import { mayStillSignIn } from '../device/device-client.ts';
import { randomToken } from '../digest.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { textsFor } from '../pages/texts.ts';
import type { AuthorizationCodeRecord, AuthorizationRequestRecord } from '../records.ts';
import { readSession, type ActiveSession } from '../session.ts';
import { AccessDenied, ConsentRequired, InteractionRequired, LoginRequired } from './errors.ts';
import { decideOrganization, signInConnectionKeys } from '../membership/organization.ts';
import { sessionPerson } from '../membership/rules.ts';
import { decideNextStep } from './next-step.ts';
import { redirectUriMatches, type PeopleClient } from './redirect-uri.ts';
import { errorResponseUrl, responseUrl, sendSeeOther } from './response.ts';

/** How long a code lives: one redirect and one token request (RFC 6749 §4.1.2 recommends at most 10 minutes). */
export const CODE_LIFETIME_MS = 60_000;

/** How long a person has from the authorization request to its code: sign-in upstream and consent included. */
export const REQUEST_LIFETIME_MS = 10 * 60_000;

/** Error codes the hosted pages may end a request with (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6). */
export type AuthorizationErrorCode =
  | 'access_denied'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'account_selection_required'
  | 'server_error'
  | 'temporarily_unavailable';

/**
 * Carries an accepted authorization request on: to the login page when the person must sign in, to the consent
 * page when they must consent, or back to the client with a code. The hosted pages call it after a sign-in or a
 * consent; the authorization endpoint right after it stored the request.
 *
 * @example
 * return continueAuthorization(request, reply, deps, requestId);
 */
export async function continueAuthorization(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  requestId: string,
): Promise<FastifyReply> {
  const nowMs = deps.now();
  const stored = await deps.state.get<AuthorizationRequestRecord>('authorization_request', requestId, nowMs);
  if (stored === undefined) return sendExpired(reply);
  const authorization = stored.value;
  const client = stillAllowed(deps.source.current(), authorization);
  if (client === undefined) return sendExpired(reply);
  const session = await readSession(request, deps);
  const next = decideNextStep({
    request: authorization,
    session: session?.record,
    client: client.people,
    connections: signInConnectionKeys(client, authorization.organization),
    nowMs,
  });
  switch (next.step) {
    case 'sign_in':
      return sendSeeOther(reply, pageUrl(deps, deps.urls.paths.login, requestId));
    case 'refuse': {
      const err =
        next.error === 'login_required'
          ? new LoginRequired('the person must sign in, and prompt=none allows no page', {
              detail: next.reason,
            })
          : new ConsentRequired('the person must consent, and prompt=none allows no page', {
              detail: next.reason,
            });
      return refuse(reply, deps, requestId, err);
    }
    case 'consent':
    case 'issue_code':
      return afterSignIn(reply, deps, {
        requestId,
        authorization,
        client,
        session: session as ActiveSession,
        consent: next.step === 'consent',
      });
  }
}

/** A signed-in request: its organization is decided first, then the consent page or the code. */
async function afterSignIn(
  reply: FastifyReply,
  deps: PeopleDeps,
  at: {
    requestId: string;
    authorization: AuthorizationRequestRecord;
    client: PeopleClient;
    session: ActiveSession;
    consent: boolean;
  },
): Promise<FastifyReply> {
  const { requestId, authorization, session } = at;
  const outcome = decideOrganization(authorization.organization, at.client, sessionPerson(session.record));
  if (outcome.kind === 'refuse') return refuse(reply, deps, requestId, new AccessDenied(outcome.reason));
  if (outcome.kind === 'choose') {
    if (!authorization.prompt.includes('none')) {
      return sendSeeOther(reply, pageUrl(deps, deps.urls.paths.organization, requestId));
    }
    const err = new InteractionRequired(
      'the person must choose an organization, and prompt=none allows no page',
    );
    return refuse(reply, deps, requestId, err);
  }
  if (at.consent) return sendSeeOther(reply, pageUrl(deps, deps.urls.paths.consent, requestId));
  const organization = outcome.kind === 'member' ? outcome.membership.organization.id : undefined;
  if (authorization.device !== undefined) {
    return approveDevice(reply, deps, requestId, session, organization);
  }
  return issueCode(reply, deps, requestId, session, organization);
}

/**
 * Ends an authorization request with an error sent to the client (RFC 6749 §4.1.2.1): the consent page's "deny"
 * (`access_denied`), or a hosted page that cannot go on.
 */
export async function denyAuthorization(
  reply: FastifyReply,
  deps: PeopleDeps,
  requestId: string,
  error: AuthorizationErrorCode,
  description: string,
): Promise<FastifyReply> {
  const ended = await deps.state.consume<AuthorizationRequestRecord>(
    'authorization_request',
    requestId,
    deps.now(),
  );
  if (ended === undefined || stillAllowed(deps.source.current(), ended.value) === undefined)
    return sendExpired(reply);
  if (ended.value.device !== undefined)
    return answerDevice(reply, deps, requestId, ended.value, { approved: false });
  const { redirectUri, state } = ended.value;
  return sendSeeOther(
    reply,
    responseUrl(redirectUri, {
      error,
      error_description: errorDescriptionText(description),
      state,
      iss: deps.urls.issuer,
    }),
  );
}

async function refuse(
  reply: FastifyReply,
  deps: PeopleDeps,
  requestId: string,
  err: OAuthError,
): Promise<FastifyReply> {
  const ended = await deps.state.consume<AuthorizationRequestRecord>(
    'authorization_request',
    requestId,
    deps.now(),
  );
  if (ended === undefined) return sendExpired(reply);
  if (ended.value.device !== undefined)
    return answerDevice(reply, deps, requestId, ended.value, { approved: false });
  return sendSeeOther(
    reply,
    errorResponseUrl(ended.value.redirectUri, err, ended.value.state, deps.urls.issuer),
  );
}

/**
 * Spends the request and answers with a code bound to the client, the redirect URI, the PKCE challenge and the
 * session (RFC 6749 §4.1.2), plus `state` and `iss` (RFC 9207). Consuming the request first means two tabs
 * finishing one request get one code between them.
 */
async function issueCode(
  reply: FastifyReply,
  deps: PeopleDeps,
  requestId: string,
  session: ActiveSession,
  organization: string | undefined,
): Promise<FastifyReply> {
  const nowMs = deps.now();
  const spent = await deps.state.consume<AuthorizationRequestRecord>(
    'authorization_request',
    requestId,
    nowMs,
  );
  if (spent === undefined) return sendExpired(reply);
  const r = spent.value;
  const code = randomToken();
  const value: AuthorizationCodeRecord = {
    clientId: r.clientId,
    redirectUri: r.redirectUri,
    codeChallenge: r.codeChallenge,
    scopes: r.scopes,
    resources: r.resources,
    nonce: r.nonce,
    userId: session.record.userId,
    sid: session.record.sid,
    authTime: session.record.authTime,
    amr: session.record.amr,
    facts: sessionPerson(session.record).facts,
    ...(organization === undefined ? {} : { organization }),
  };
  const result = await deps.state.insert(
    'authorization_code',
    code,
    { value, expiresAtMs: nowMs + CODE_LIFETIME_MS },
    nowMs,
  );
  if (result !== 'created') throw new Error(`a new authorization code could not be stored: ${result}`);
  return sendSeeOther(reply, responseUrl(r.redirectUri, { code, state: r.state, iss: deps.urls.issuer }));
}

/** A device's sign-in ends with the person's approval recorded for the device, not with a code. */
async function approveDevice(
  reply: FastifyReply,
  deps: PeopleDeps,
  requestId: string,
  session: ActiveSession,
  organization: string | undefined,
): Promise<FastifyReply> {
  const spent = await deps.state.consume<AuthorizationRequestRecord>(
    'authorization_request',
    requestId,
    deps.now(),
  );
  if (spent === undefined) return sendExpired(reply);
  return answerDevice(reply, deps, requestId, spent.value, {
    approved: true,
    session: session.record,
    facts: sessionPerson(session.record).facts,
    ...(organization === undefined ? {} : { organization }),
  });
}

/**
 * The request's client, when the snapshot in force still lets it sign people in at the redirect URI the request
 * named (or, for a device's sign-in, with the device grant): configuration may change while a person is on the
 * login page, and a removed redirect URI is no longer one to trust.
 */
function stillAllowed(snapshot: Snapshot, r: AuthorizationRequestRecord): PeopleClient | undefined {
  if (r.device !== undefined) return mayStillSignIn(snapshot, r.clientId);
  const client = snapshot.clients.get(r.clientId);
  const people = client?.people;
  if (client === undefined || people === undefined || !client.grantTypes.has('authorization_code'))
    return undefined;
  if (!people.redirectUris.some((u) => redirectUriMatches(u, r.redirectUri, people.appType)))
    return undefined;
  return client as PeopleClient;
}

function pageUrl(deps: PeopleDeps, path: string, requestId: string): string {
  return `${new URL(deps.urls.issuer).origin}${path}?request=${encodeURIComponent(requestId)}`;
}

/** The page for a request id that is unknown, expired or spent; also when its client changed meanwhile. */
export function sendExpired(reply: FastifyReply): FastifyReply {
  const texts = textsFor();
  return sendErrorPage(reply, {
    status: 400,
    title: texts.errorRequestExpired,
    message: texts.errorRequestExpiredMessage,
    texts,
  });
}

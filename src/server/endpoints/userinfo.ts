import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.ts';
import type { EventBus } from '../../events.ts';
import type { UserRecord } from '../../people/records.ts';
import { personClaims } from '../../people/tokens/scopes.ts';
import type { RevocationStore } from '../../runtime/revocation-store.ts';
import type { RuntimeState } from '../../state/runtime-state.ts';
import type { SnapshotSource } from '../../store/snapshot.ts';
import { corsHeaders, registerPreflight } from '../cors.ts';
import { InsufficientScope, InvalidRequest, InvalidToken, NO_STORE, toOAuthError } from '../errors.ts';
import type { Form } from '../form.ts';
import { fromFastifyError, sendError } from '../reply.ts';
import { checkAccessToken } from '../token-check.ts';
import { allowOnly, methodNotAllowed } from './method-not-allowed.ts';

/** What userinfo needs: the snapshot's keys to check tokens, revocations, and the `user` records. */
export interface UserinfoEndpointDeps {
  source: SnapshotSource;
  issuer: string;
  path: string;
  now: Clock;
  events: EventBus;
  revocations: RevocationStore;
  /** Where the `user` records live. */
  state: RuntimeState;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The access token of a userinfo request: `Authorization: Bearer` (RFC 6750 §2.1), or `access_token` in a
 * POST form body (§2.2); never both (§2: one method per request).
 */
export function bearerTokenOf(authorization: string | undefined, form: Form | undefined): string {
  const inBody = form?.params.access_token;
  if (authorization !== undefined && inBody !== undefined) {
    throw new InvalidRequest('the access token is sent both in the Authorization header and in the body');
  }
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (match === null) throw new InvalidToken('the Authorization header must be Bearer <access token>');
    return match[1] as string;
  }
  if (inBody !== undefined && inBody.length > 0) return inBody;
  throw new InvalidToken('an access token is required', { missing: true });
}

/**
 * Answers a userinfo request (OpenID Connect Core §5.3): the person's claims for the scopes of a person's
 * access token from this issuer that is valid, not revoked and holds `openid`.
 */
async function userinfo(
  request: FastifyRequest,
  deps: UserinfoEndpointDeps,
): Promise<{ body: Record<string, unknown>; clientId: string }> {
  const token = bearerTokenOf(request.headers.authorization, request.body as Form | undefined);
  const snapshot = deps.source.current();
  const nowMs = deps.now();
  const check = await checkAccessToken(token, { issuer: deps.issuer, keys: snapshot.keys, nowMs });
  if (!check.ok)
    throw new InvalidToken('the access token is invalid or has expired', { detail: check.reason });
  const { claims } = check;
  // A client's own token has `sub` = `client_id` (RFC 9068 §2.2); only a person's token names a person.
  if (claims.sub === claims.client_id) {
    throw new InvalidToken('the access token was not issued for a person', { detail: 'client token' });
  }
  const scopes = claims.scope?.split(' ') ?? [];
  if (!scopes.includes('openid')) {
    throw new InsufficientScope('the access token was not issued with the openid scope', 'openid');
  }
  if (await deps.revocations.isRevoked(claims.jti, nowMs)) {
    throw new InvalidToken('the access token is invalid or has expired', { detail: 'revoked' });
  }
  const user = await deps.state.get<UserRecord>('user', claims.sub, nowMs);
  if (user === undefined) {
    throw new InvalidToken('the access token is invalid or has expired', { detail: 'user gone' });
  }
  return { body: { sub: claims.sub, ...personClaims(user.value, scopes) }, clientId: claims.client_id };
}

/** Registers GET and POST `<issuer path>/oauth2/userinfo`, and its CORS preflight; other methods get 405. */
export function registerUserinfoEndpoint(app: FastifyInstance, deps: UserinfoEndpointDeps): void {
  const fail = (reply: FastifyReply, err: unknown): FastifyReply => {
    const e = toOAuthError(fromFastifyError(err));
    if (e.status >= 500) reply.log.error({ err }, 'unexpected error');
    deps.events.emit('request.failed', { endpoint: 'userinfo', error: e.error, detail: e.detail });
    return sendError(reply, e);
  };
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const { body, clientId } = await userinfo(request, deps);
      const cors = corsHeaders(deps.source.current().clients.get(clientId), request.headers.origin);
      return reply.code(200).headers(NO_STORE).headers(cors).send(JSON.stringify(body));
    } catch (err) {
      return fail(reply, err);
    }
  };
  const options = {
    errorHandler: (err: unknown, _request: FastifyRequest, reply: FastifyReply) => fail(reply, err),
  };
  app.get(deps.path, options, handler);
  app.post(deps.path, options, handler);
  registerPreflight(app, deps.path, deps.source, ['GET', 'POST'], (request, reply) =>
    sendError(reply, methodNotAllowed(request.method, 'GET and POST')),
  );
  allowOnly(app, deps.path, 'GET and POST', ['OPTIONS']);
}

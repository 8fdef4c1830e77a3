import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.ts';
import type { EventBus } from '../../events.ts';
import type { RevocationStore } from '../../runtime/revocation-store.ts';
import type { CompiledClient, Snapshot, SnapshotSource } from '../../store/snapshot.ts';
import type { AccessTokenClaims } from '../claims.ts';
import { authenticateClient, nonEmpty, type ClientAuthDeps } from '../client-auth.ts';
import { InvalidRequest, toOAuthError } from '../errors.ts';
import { EMPTY_FORM, type Form } from '../form.ts';
import { fromFastifyError, sendError } from '../reply.ts';
import { checkAccessToken } from '../token-check.ts';
import { allowOnly } from './method-not-allowed.ts';

export interface RevocationEndpointDeps {
  source: SnapshotSource;
  issuer: string;
  path: string;
  now: Clock;
  events: EventBus;
  revocations: RevocationStore;
  /** Shared with the token endpoint, so a client authenticates here exactly as there. */
  clientAuth: ClientAuthDeps;
}

/** One revocation request as it moves through the steps. */
interface Revocation {
  readonly snapshot: Snapshot;
  readonly request: FastifyRequest;
  readonly nowMs: number;
  form: Form;
  client: CompiledClient | undefined;
  token: string | undefined;
  claims: AccessTokenClaims | undefined;
  /** Set when there is nothing this client may revoke; says why, for events only. The rest is skipped. */
  ignored: string | undefined;
}

type Step = (x: Revocation, deps: RevocationEndpointDeps) => void | Promise<void>;

// RFC 7009 §2.2: 200 whether or not anything was revoked; the client ignores the body, so there is none.
const DONE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

function parseBody(x: Revocation): void {
  // The form parser is the only body parser; no body at all means no Content-Type was sent.
  if (x.request.body === undefined || x.request.body === null) {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  x.form = x.request.body as Form;
}

// RFC 7009 §2.1: the client authenticates as at the token endpoint.
async function authenticate(x: Revocation, deps: RevocationEndpointDeps): Promise<void> {
  const { authorization } = x.request.headers;
  x.client = (await authenticateClient(x.snapshot, authorization, x.form.params, deps.clientAuth)).client;
}

// token_type_hint is accepted whatever its value, and never answered with unsupported_token_type: we issue
// only access tokens and can revoke them, and RFC 7009 §2.1 has the server look beyond the hint anyway.
// unsupported_token_type (§2.2.1) is for a token of a type the server cannot revoke, which we never meet.
function readToken(x: Revocation): void {
  const token = nonEmpty(x.form.params.token);
  if (token === undefined) throw new InvalidRequest('token is missing');
  x.token = token;
}

// RFC 7009 §2.2: an invalid token, including one that has already expired, is answered 200 like any other.
async function verifyToken(x: Revocation, deps: RevocationEndpointDeps): Promise<void> {
  const check = await checkAccessToken(x.token as string, {
    issuer: deps.issuer,
    keys: x.snapshot.keys,
    nowMs: x.nowMs,
  });
  if (check.ok) x.claims = check.claims;
  else x.ignored = check.reason;
}

// RFC 7009 §2.1: the server checks that the token was issued to the client asking. §2.1 lets it refuse
// with an error otherwise; we leave the token alone and answer the same 200 as for garbage instead, since an
// error would tell the caller that it holds a valid token of another client.
function checkIssuedToCaller(x: Revocation): void {
  if ((x.claims as AccessTokenClaims).client_id !== (x.client as CompiledClient).clientId) {
    x.ignored = 'not_permitted';
  }
}

// Held by this replica only until revocations are shared (see RevocationStore).
function revoke(x: Revocation, deps: RevocationEndpointDeps): void {
  const { jti, exp } = x.claims as AccessTokenClaims;
  if (deps.revocations.isRevoked(jti, x.nowMs)) {
    x.ignored = 'already_revoked';
    return;
  }
  deps.revocations.revoke(jti, exp * 1000);
}

/** The revocation endpoint (RFC 7009 §2), in the order its checks must run. */
const STEPS: readonly Step[] = [parseBody, authenticate, readToken, verifyToken, checkIssuedToCaller, revoke];

/** Registers `POST <issuer path>/oauth2/revoke`; other methods get 405. */
export function registerRevocationEndpoint(app: FastifyInstance, deps: RevocationEndpointDeps): void {
  const fail = (reply: FastifyReply, err: unknown, x?: Revocation): FastifyReply => {
    const e = toOAuthError(fromFastifyError(err));
    if (e.status >= 500) reply.log.error({ err }, 'unexpected error');
    deps.events.emit('request.failed', {
      endpoint: 'revocation',
      error: e.error,
      clientId: x?.client?.clientId,
      detail: e.detail,
    });
    return sendError(reply, e);
  };

  app.post(
    deps.path,
    { errorHandler: (err, _request, reply) => fail(reply, err) },
    async (request, reply) => {
      const x: Revocation = {
        snapshot: deps.source.current(),
        request,
        nowMs: deps.now(),
        form: EMPTY_FORM,
        client: undefined,
        token: undefined,
        claims: undefined,
        ignored: undefined,
      };
      try {
        for (const step of STEPS) {
          if (x.ignored !== undefined) break;
          const pending = step(x, deps);
          if (pending !== undefined) await pending;
        }
      } catch (err) {
        return fail(reply, err, x);
      }
      const clientId = (x.client as CompiledClient).clientId;
      deps.events.emit(
        'token.revoked',
        x.ignored === undefined
          ? { clientId, revoked: true }
          : { clientId, revoked: false, detail: x.ignored },
      );
      return reply.code(200).headers(DONE).send();
    },
  );
  allowOnly(app, deps.path, 'POST');
}

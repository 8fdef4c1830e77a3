import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../../clock.ts';
import type { EventBus } from '../../events.ts';
import type { RevocationStore } from '../../runtime/revocation-store.ts';
import type { RuntimeState } from '../../state/runtime-state.ts';
import type { SnapshotSource } from '../../store/snapshot.ts';
import { nonEmpty, type ClientAuthDeps } from '../client-auth.ts';
import { InvalidRequest, toOAuthError } from '../errors.ts';
import { EMPTY_FORM } from '../form.ts';
import { fromFastifyError, sendError } from '../reply.ts';
import { refusedBy } from '../presented-client.ts';
import { checkAccessToken, type CheckedClaims } from '../token-check.ts';
import { corsHeaders, registerPreflight } from '../cors.ts';
import { allowOnly, methodNotAllowed } from './method-not-allowed.ts';
import type { AuthenticatedRequest } from './request-steps.ts';

/** What the endpoints that act on a token we issued (introspection, revocation) need. */
export interface TokenOperationDeps {
  source: SnapshotSource;
  issuer: string;
  path: string;
  now: Clock;
  events: EventBus;
  revocations: RevocationStore;
  /** Shared with the token endpoint, so a client authenticates here exactly as there. */
  clientAuth: ClientAuthDeps;
  /** With people sign-in: where refresh tokens live, so revocation can end a family (issue 12). */
  state?: RuntimeState;
}

/** One request about a token as it moves through the steps. */
export interface TokenOperation extends AuthenticatedRequest {
  readonly nowMs: number;
  token: string | undefined;
  claims: CheckedClaims | undefined;
  /**
   * Set once the answer is settled without the remaining steps (an inactive token, nothing to revoke);
   * says why, for events only: the caller gets the same answer whatever the reason.
   */
  settled: string | undefined;
}

export type OperationStep = (x: TokenOperation, deps: TokenOperationDeps) => void | Promise<void>;

// RFC 7662 §2.1 and RFC 7009 §2.1 have the server look beyond token_type_hint, so an unknown hint is no
// error (and revocation never answers unsupported_token_type, RFC 7009 §2.2.1: there is no type of ours it
// cannot revoke). Introspection knows access tokens only; revocation reads the hint for its search order.
export function readToken(x: TokenOperation): void {
  const token = nonEmpty(x.form.params.token);
  if (token === undefined) throw new InvalidRequest('token is missing');
  x.token = token;
}

export async function verifyToken(x: TokenOperation, deps: TokenOperationDeps): Promise<void> {
  const check = await checkAccessToken(x.token as string, {
    issuer: deps.issuer,
    keys: x.snapshot.keys,
    nowMs: x.nowMs,
  });
  if (check.ok) x.claims = check.claims;
  else x.settled = check.reason;
}

/**
 * Registers `POST <path>` running `steps` in order until one settles the answer, then `respond`; an
 * OAuth error from a step becomes its RFC 6749 §5.2 body and a `request.failed` event. Other methods get 405.
 */
export function registerTokenOperation(
  app: FastifyInstance,
  deps: TokenOperationDeps,
  endpoint: 'introspection' | 'revocation',
  steps: readonly OperationStep[],
  respond: (x: TokenOperation, reply: FastifyReply) => FastifyReply,
  options: { browsers?: boolean } = {},
): void {
  // A browser app revokes its tokens at sign-out (RFC 7009 §2.1): CORS for its registered origins.
  const cors = (x: TokenOperation | undefined) =>
    options.browsers !== true || x === undefined
      ? {}
      : corsHeaders(
          x.client ?? x.snapshot.clients.get(nonEmpty(x.form.params.client_id) ?? ''),
          x.request.headers.origin,
        );
  const fail = (reply: FastifyReply, err: unknown, x?: TokenOperation): FastifyReply => {
    const e = toOAuthError(fromFastifyError(err));
    if (e.status >= 500) reply.log.error({ err }, 'unexpected error');
    deps.events.emit('request.failed', {
      endpoint,
      error: e.error,
      clientId: x?.client?.clientId,
      detail: e.detail,
      ...refusedBy(x),
    });
    return sendError(reply.headers(cors(x)), e);
  };

  app.post(
    deps.path,
    { errorHandler: (err, _request, reply) => fail(reply, err) },
    async (request, reply) => {
      const x: TokenOperation = {
        snapshot: deps.source.current(),
        request,
        nowMs: deps.now(),
        form: EMPTY_FORM,
        client: undefined,
        token: undefined,
        claims: undefined,
        settled: undefined,
      };
      try {
        for (const step of steps) {
          if (x.settled !== undefined) break;
          const pending = step(x, deps);
          if (pending !== undefined) await pending;
        }
      } catch (err) {
        return fail(reply, err, x);
      }
      return respond(x, reply.headers(cors(x)));
    },
  );
  if (options.browsers === true) {
    registerPreflight(app, deps.path, deps.source, ['POST'], (request, reply) =>
      sendError(reply, methodNotAllowed(request.method, 'POST')),
    );
  }
  allowOnly(app, deps.path, 'POST', options.browsers === true ? ['OPTIONS'] : []);
}

import type { FastifyInstance } from 'fastify';
import type { RefreshTokenRecord } from '../../people/records.ts';
import type { CompiledClient } from '../../store/snapshot.ts';
import type { AccessTokenClaims } from '../claims.ts';
import { RevocationLimitReached } from '../../runtime/revocation-store.ts';
import { TemporarilyUnavailable, UnauthorizedClient } from '../errors.ts';
import { authenticate, parseBody } from './request-steps.ts';
import {
  readToken,
  registerTokenOperation,
  verifyToken,
  type OperationStep,
  type TokenOperation,
  type TokenOperationDeps,
} from './token-operation.ts';

export type RevocationEndpointDeps = TokenOperationDeps;

// RFC 7009 §2.2: 200 whether or not anything was revoked (an invalid or expired token included); the
// client ignores the body, so there is none.
const DONE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

// RFC 7009 §2.1: the server checks that the token was issued to the client asking and, when it was not,
// refuses the request and tells the client. The caller learns only that the token is one of ours and not
// its own; the owner stays in the private detail. An invalid token never gets here (§2.2: still 200).
function checkIssuedToCaller(x: TokenOperation): void {
  const owner = (x.claims as AccessTokenClaims).client_id;
  if (owner !== (x.client as CompiledClient).clientId) {
    throw new UnauthorizedClient('this client may not revoke the token: it was issued to another client', {
      detail: `token issued to '${owner}'`,
    });
  }
}

// RFC 7009 §2.1: a public client revokes its own tokens by client_id; public clients sign people in, so only
// a server with runtime state has them.
function authenticateCaller(x: TokenOperation, deps: TokenOperationDeps): Promise<void> {
  return authenticate(x, deps, { publicClients: deps.state !== undefined });
}

/** What {@link TokenOperation.settled} says when a refresh token's family was ended. */
const FAMILY_ENDED = 'refresh_token_family_ended';

/**
 * A refresh token ends its whole family (issue 12: RFC 7009 §2.1 lets revoking a refresh token revoke what
 * came from it; the access tokens already issued expire within minutes). A token with no `.` cannot be one of
 * our JWTs, so it is looked up whatever the hint says; a JWT only when the hint says `refresh_token`.
 */
async function revokeRefreshToken(x: TokenOperation, deps: TokenOperationDeps): Promise<void> {
  const token = x.token as string;
  if (deps.state === undefined) return;
  if (token.includes('.') && x.form.params.token_type_hint !== 'refresh_token') return;
  const stored = await deps.state.get<RefreshTokenRecord>('refresh_token', token, x.nowMs);
  if (stored === undefined) return;
  const { clientId, familyId } = stored.value;
  if (clientId !== (x.client as CompiledClient).clientId) {
    throw new UnauthorizedClient('this client may not revoke the token: it was issued to another client', {
      detail: `refresh token issued to '${clientId}'`,
    });
  }
  await deps.state.deleteByOwner('refresh_token', familyId);
  x.settled = FAMILY_ENDED;
}

// One write: the store says whether the token was revoked already. A client at its limit of unexpired
// revocations (it mints and revokes in a loop) is told to come back once some of those tokens expired.
async function revoke(x: TokenOperation, deps: TokenOperationDeps): Promise<void> {
  const { jti, exp, client_id: owner } = x.claims as AccessTokenClaims;
  let revoked: boolean;
  try {
    revoked = await deps.revocations.revoke(jti, exp * 1000, x.nowMs, owner);
  } catch (err) {
    if (!(err instanceof RevocationLimitReached)) throw err;
    throw new TemporarilyUnavailable('this client holds too many revoked tokens that have not expired yet', {
      detail: err.message,
    });
  }
  if (!revoked) x.settled = 'already_revoked';
}

/** The revocation endpoint (RFC 7009 §2), in the order its checks must run. */
const STEPS: readonly OperationStep[] = [
  parseBody,
  authenticateCaller,
  readToken,
  revokeRefreshToken,
  verifyToken,
  checkIssuedToCaller,
  revoke,
];

/** Registers `POST <issuer path>/oauth2/revoke`; other methods get 405. */
export function registerRevocationEndpoint(app: FastifyInstance, deps: RevocationEndpointDeps): void {
  registerTokenOperation(
    app,
    deps,
    'revocation',
    STEPS,
    (x, reply) => {
      const clientId = (x.client as CompiledClient).clientId;
      deps.events.emit(
        'token.revoked',
        x.settled === undefined || x.settled === FAMILY_ENDED
          ? { clientId, revoked: true }
          : { clientId, revoked: false, detail: x.settled },
      );
      return reply.code(200).headers(DONE).send();
    },
    { browsers: true },
  );
}

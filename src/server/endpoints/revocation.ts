import type { FastifyInstance } from 'fastify';
import type { CompiledClient } from '../../store/snapshot.ts';
import type { AccessTokenClaims } from '../claims.ts';
import { UnauthorizedClient } from '../errors.ts';
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

// Held by this replica only until revocations are shared (see RevocationStore).
function revoke(x: TokenOperation, deps: TokenOperationDeps): void {
  const { jti, exp } = x.claims as AccessTokenClaims;
  if (deps.revocations.isRevoked(jti, x.nowMs)) {
    x.settled = 'already_revoked';
    return;
  }
  deps.revocations.revoke(jti, exp * 1000);
}

/** The revocation endpoint (RFC 7009 §2), in the order its checks must run. */
const STEPS: readonly OperationStep[] = [
  parseBody,
  authenticate,
  readToken,
  verifyToken,
  checkIssuedToCaller,
  revoke,
];

/** Registers `POST <issuer path>/oauth2/revoke`; other methods get 405. */
export function registerRevocationEndpoint(app: FastifyInstance, deps: RevocationEndpointDeps): void {
  registerTokenOperation(app, deps, 'revocation', STEPS, (x, reply) => {
    const clientId = (x.client as CompiledClient).clientId;
    deps.events.emit(
      'token.revoked',
      x.settled === undefined ? { clientId, revoked: true } : { clientId, revoked: false, detail: x.settled },
    );
    return reply.code(200).headers(DONE).send();
  });
}

import type { FastifyInstance } from 'fastify';
import type { CompiledClient } from '../../store/snapshot.ts';
import { NO_STORE } from '../errors.ts';
import type { CheckedClaims } from '../token-check.ts';
import { authenticate, parseBody } from './request-steps.ts';
import {
  readToken,
  registerTokenOperation,
  verifyToken,
  type OperationStep,
  type TokenOperation,
  type TokenOperationDeps,
} from './token-operation.ts';

export type IntrospectionEndpointDeps = TokenOperationDeps;

/** RFC 7662 §2.2: the one answer for every token the caller may not learn about. */
const INACTIVE = JSON.stringify({ active: false });

// A client learns about the tokens issued to itself, and a client that a ResourceServer names in
// spec.introspection about every token for that API; anything else looks exactly like an invalid token.
function checkCallerMayIntrospect(x: TokenOperation): void {
  const claims = x.claims as CheckedClaims;
  const caller = (x.client as CompiledClient).clientId;
  if (claims.client_id === caller) return;
  if (x.snapshot.apis.get(claims.aud)?.introspectors.has(caller) === true) return;
  x.settled = 'not_permitted';
}

// Last, so only a token otherwise active costs a look-up. On runtime state a backend that cannot answer
// rejects, and the caller gets temporarily_unavailable: a token is never reported active unchecked.
async function checkNotRevoked(x: TokenOperation, deps: TokenOperationDeps): Promise<void> {
  if (await deps.revocations.isRevoked((x.claims as CheckedClaims).jti, x.nowMs)) x.settled = 'revoked';
}

/** The introspection endpoint (RFC 7662 §2), in the order its checks must run. */
const STEPS: readonly OperationStep[] = [
  parseBody,
  authenticate,
  readToken,
  verifyToken,
  checkCallerMayIntrospect,
  checkNotRevoked,
];

/**
 * RFC 7662 §2.2 members of an active token, in a fixed order; `org_*`, and a person's `auth_time`,
 * `permissions` and `groups`, only when the token has them, so an API that introspects reads what one that
 * verifies the JWT reads.
 */
function activeResponse(claims: CheckedClaims): Record<string, unknown> {
  const body: Record<string, unknown> = { active: true };
  if (claims.scope !== undefined) body.scope = claims.scope;
  body.client_id = claims.client_id;
  body.token_type = 'Bearer';
  body.exp = claims.exp;
  body.iat = claims.iat;
  body.sub = claims.sub;
  body.aud = claims.aud;
  body.iss = claims.iss;
  body.jti = claims.jti;
  if (claims.org_id !== undefined) body.org_id = claims.org_id;
  if (claims.org_name !== undefined) body.org_name = claims.org_name;
  if (claims.auth_time !== undefined) body.auth_time = claims.auth_time;
  if (claims.permissions !== undefined) body.permissions = claims.permissions;
  if (claims.groups !== undefined) body.groups = claims.groups;
  return body;
}

/** Registers `POST <issuer path>/oauth2/introspect`; other methods get 405. */
export function registerIntrospectionEndpoint(app: FastifyInstance, deps: IntrospectionEndpointDeps): void {
  registerTokenOperation(app, deps, 'introspection', STEPS, (x, reply) => {
    const clientId = (x.client as CompiledClient).clientId;
    if (x.settled !== undefined) {
      deps.events.emit('token.introspected', { clientId, active: false, detail: x.settled });
      return reply.code(200).headers(NO_STORE).send(INACTIVE);
    }
    deps.events.emit('token.introspected', { clientId, active: true });
    return reply
      .code(200)
      .headers(NO_STORE)
      .send(JSON.stringify(activeResponse(x.claims as CheckedClaims)));
  });
}

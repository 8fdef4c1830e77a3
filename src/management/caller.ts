import type { RevocationStore } from '../runtime/revocation-store.ts';
import { checkAccessToken, type InvalidTokenReason } from '../server/token-check.ts';
import type { Snapshot } from '../store/snapshot.ts';
import { ManagementError } from './errors.ts';
import type { Reach } from './reach.ts';

/** Who calls the management API, and what they may do. */
export interface Caller {
  clientId: string;
  /**
   * The token's scopes that the client is still granted, each with the namespaces it reaches as compiled now:
   * a grant taken away or narrowed in Git counts at once.
   */
  scopes: ReadonlyMap<string, Reach>;
}

export interface CallerDeps {
  issuer: string;
  /** The management API's identifier: the only `aud` accepted. */
  identifier: string;
  snapshot: Snapshot;
  nowMs: number;
  revocations: RevocationStore;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const REASONS: Readonly<Record<InvalidTokenReason, string>> = {
  malformed: 'is not an access token Latchkey issued',
  foreign: 'is not an access token Latchkey issued',
  expired: 'has expired; ask the token endpoint for a new one',
  not_yet_valid: 'is not valid yet',
};

/**
 * Authenticates a request by its bearer token (RFC 6750 §2.1): an access token Latchkey issued for the
 * management API to a client for itself (`client_credentials`), not revoked, from a client still in effect.
 *
 * @throws {ManagementError} 401 without a usable token
 */
export async function authenticateCaller(
  authorization: string | undefined,
  deps: CallerDeps,
): Promise<Caller> {
  if (authorization === undefined || authorization === '') {
    throw new ManagementError(
      401,
      'missing_token',
      'send an access token for the management API as Authorization: Bearer <token>',
      'Bearer',
    );
  }
  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) throw invalidToken('the Authorization header is not Bearer <token> (RFC 6750)');
  const check = await checkAccessToken(token, {
    issuer: deps.issuer,
    keys: deps.snapshot.keys,
    nowMs: deps.nowMs,
  });
  if (!check.ok) throw invalidToken(`the access token ${REASONS[check.reason]}`);
  const { claims } = check;
  if (claims.aud !== deps.identifier) {
    throw invalidToken(
      `the access token is for ${JSON.stringify(claims.aud)}; ask for one with audience ${deps.identifier}`,
    );
  }
  if (claims.sub !== claims.client_id) {
    throw invalidToken(
      'the management API accepts tokens a client got for itself (client_credentials); tokens issued to people are not accepted yet',
    );
  }
  const client = deps.snapshot.clients.get(claims.client_id);
  if (client === undefined) throw invalidToken(`client ${claims.client_id} is no longer in effect`);
  if (await deps.revocations.isRevoked(claims.jti, deps.nowMs))
    throw invalidToken('the access token was revoked');
  const reaches = client.managementReach;
  const scopes = new Map<string, Reach>();
  for (const s of (claims.scope ?? '').split(' ')) {
    const reach = reaches?.get(s);
    if (reach !== undefined) scopes.set(s, reach);
  }
  return { clientId: client.clientId, scopes };
}

/**
 * The namespaces the caller reaches with `scope`.
 *
 * @throws {ManagementError} 403 `insufficient_scope` unless the caller has `scope`
 */
export function requireScope(caller: Caller, scope: string): Reach {
  const reach = caller.scopes.get(scope);
  if (reach !== undefined) return reach;
  throw new ManagementError(
    403,
    'insufficient_scope',
    `this needs scope ${scope}: grant it to client ${caller.clientId} on the management API, then ask for a new token`,
    `Bearer error="insufficient_scope", scope="${scope}"`,
  );
}

function invalidToken(message: string): ManagementError {
  return new ManagementError(401, 'invalid_token', message, 'Bearer error="invalid_token"');
}

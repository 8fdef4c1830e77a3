import { digestOf, randomToken } from '../../people/digest.ts';
import type { RefreshTokenRecord } from '../../people/records.ts';
import {
  narrowScopes,
  refreshTokenExpiry,
  refreshUse,
  signInOf,
} from '../../people/tokens/refresh-family.ts';
import type { StoredRecord } from '../../state/runtime-state.ts';
import type { CompiledPeopleClient } from '../../store/snapshot.ts';
import { nonEmpty } from '../client-auth.ts';
import { InvalidGrant, InvalidRequest, InvalidScope, quote } from '../errors.ts';
import type { Grant, GrantContext, Issued, PeopleGrantDeps } from './grant.ts';
import { issueGrantTokens, peopleGrantOf, peopleIssued } from './people-grant.ts';

/**
 * `grant_type=refresh_token` (RFC 6749 §6) with rotation on every use and reuse detection (RFC 9700
 * §4.14.2): each use returns a new refresh token in the same family; a token used again after its grace
 * ends the whole family.
 */
export const refreshToken: Grant = {
  type: 'refresh_token',
  parameters: new Set(['refresh_token', 'scope']),
  clientAuthentication: 'required',
  publicClients: true,
  needsState: true,
  handler: refresh,
};

const INVALID = 'refresh_token is invalid, expired or revoked';

async function refresh(ctx: GrantContext): Promise<Issued> {
  const { deps, settings } = peopleGrantOf(ctx);
  const presented = nonEmpty(ctx.params.refresh_token);
  if (presented === undefined) throw new InvalidRequest('refresh_token is missing');
  const nowMs = ctx.now();
  const stored = await deps.state.get<RefreshTokenRecord>('refresh_token', presented, nowMs);
  if (stored === undefined) throw new InvalidGrant(INVALID);
  const record = stored.value;
  // RFC 6749 §6: the refresh token is bound to the client it was issued to.
  if (record.clientId !== ctx.client.clientId) {
    throw new InvalidGrant(INVALID, {
      detail: `refresh token of '${record.clientId}' presented by '${ctx.client.clientId}'`,
    });
  }
  const narrowed = narrowScopes(record.scopes, ctx.params.scope);
  if (!narrowed.ok) {
    throw narrowed.empty
      ? new InvalidRequest('scope is empty: omit scope to keep the scopes granted')
      : new InvalidScope(
          `scope was not granted to this refresh token: ${narrowed.widening.slice(0, 10).map(quote).join(', ')}`,
        );
  }
  // Signed before the rotation, so a refusal of the target leaves the family as it was.
  const tokens = await issueGrantTokens(ctx, record, narrowed.scopes, nowMs);
  const successor = await rotate(deps, presented, stored, settings, nowMs);
  return peopleIssued(tokens, successor);
}

/**
 * Rotates the presented token and inserts its successor (RFC 9700 §4.14.2).
 * - Not rotated yet: `rotate` marks it rotated and stores the successor in one atomic step; of two concurrent
 *   uses one wins, and the other reads it again and is within the grace.
 * - Rotated within `reuseGraceSeconds` (two tabs refreshing at once): another successor in the same family;
 *   the presented token stays rotated at its first rotation, so using it again never extends the grace.
 * - Rotated before that: reuse. The family is deleted, successors included, and the request refused.
 */
async function rotate(
  deps: PeopleGrantDeps,
  presented: string,
  stored: StoredRecord<RefreshTokenRecord>,
  settings: CompiledPeopleClient,
  nowMs: number,
): Promise<string> {
  const record = stored.value;
  const use = refreshUse(record, nowMs, settings.refreshToken.reuseGraceSeconds);
  if (use === 'reuse') {
    const ended = await deps.state.deleteByOwner('refresh_token', record.familyId);
    throw new InvalidGrant(INVALID, {
      detail: `refresh token reused ${nowMs - (record.rotatedAtMs as number)} ms after its rotation by '${record.clientId}': family ended (${ended} tokens)`,
    });
  }
  const key = randomToken();
  const successor = { key, record: successorOf(record, settings, nowMs) };
  if (use === 'grace') {
    await deps.state.insert('refresh_token', key, successor.record, nowMs);
    return key;
  }
  // The presented token is marked rotated and its successor stored in one step: both, or neither.
  const rotated = { ...record, rotatedAtMs: nowMs, successorDigest: digestOf(key) };
  const swapped = await deps.state.rotate<RefreshTokenRecord>(
    'refresh_token',
    presented,
    stored.version,
    { value: rotated, owner: record.familyId, expiresAtMs: stored.expiresAtMs },
    successor,
    nowMs,
  );
  if (swapped !== undefined) return key;
  // Another use rotated it first: read it again, and it is within the grace (or gone).
  const again = await deps.state.get<RefreshTokenRecord>('refresh_token', presented, nowMs);
  if (again === undefined || again.value.rotatedAtMs === undefined) throw new InvalidGrant(INVALID);
  return rotate(deps, presented, again, settings, nowMs);
}

/**
 * The successor of `record` in its family: the family's scopes whatever `scope` narrowed (RFC 6749 §6),
 * expiring after the idle lifetime, never after the family's absolute lifetime.
 */
function successorOf(record: RefreshTokenRecord, settings: CompiledPeopleClient, nowMs: number) {
  const value: RefreshTokenRecord = {
    familyId: record.familyId,
    clientId: record.clientId,
    userId: record.userId,
    sid: record.sid,
    scopes: record.scopes,
    resources: record.resources,
    authTime: record.authTime,
    amr: record.amr,
    ...signInOf(record),
    familyCreatedAtMs: record.familyCreatedAtMs,
  };
  const expiresAtMs = refreshTokenExpiry(nowMs, record.familyCreatedAtMs, settings.refreshToken);
  return { value, owner: record.familyId, expiresAtMs };
}

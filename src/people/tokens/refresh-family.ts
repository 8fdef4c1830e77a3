import type { CompiledPeopleClient } from '../../store/snapshot.ts';
import { randomToken } from '../digest.ts';
import type { RefreshTokenRecord } from '../records.ts';

/** What a presented refresh token may do (RFC 9700 §4.14.2). */
export type RefreshUse =
  /** Never rotated: rotate it and issue its successor. */
  | 'rotate'
  /**
   * Rotated moments ago (two tabs refreshing at once): issue another successor in the same family and leave
   * this token as it is, so the grace never grows by being used.
   */
  | 'grace'
  /** Rotated longer ago than the grace: a stolen copy or a replay; the whole family ends. */
  | 'reuse';

/**
 * Decides what a use of a refresh token at `nowMs` is. A rotated token is tolerated while
 * `nowMs <= rotatedAtMs + grace` (inclusive: a grace of 0 still lets two requests of the same millisecond
 * through), and is reuse from then on.
 *
 * @example
 * refreshUse({ ...record, rotatedAtMs: now - 5_000 }, now, 10); // 'grace'
 */
export function refreshUse(record: RefreshTokenRecord, nowMs: number, reuseGraceSeconds: number): RefreshUse {
  if (record.rotatedAtMs === undefined) return 'rotate';
  return nowMs <= record.rotatedAtMs + reuseGraceSeconds * 1000 ? 'grace' : 'reuse';
}

/**
 * When a refresh token issued at `nowMs` expires: after the idle lifetime unless the family's absolute
 * lifetime ends first (issue 12: idle and absolute lifetimes per client).
 */
export function refreshTokenExpiry(
  nowMs: number,
  familyCreatedAtMs: number,
  lifetimes: CompiledPeopleClient['refreshToken'],
): number {
  return Math.min(nowMs + lifetimes.idleSeconds * 1000, familyCreatedAtMs + lifetimes.absoluteSeconds * 1000);
}

/**
 * The scopes of a token issued with a refresh token: the family's, or fewer when `scope` asks for fewer
 * (RFC 6749 §6: never more). Returns the narrowed scopes in the family's order, or the scopes that were not
 * granted to the family.
 */
export function narrowScopes(
  granted: readonly string[],
  scopeParam: string | undefined,
): { ok: true; scopes: readonly string[] } | { ok: false; widening: readonly string[]; empty: boolean } {
  if (scopeParam === undefined) return { ok: true, scopes: granted };
  const requested = new Set(scopeParam.split(' '));
  requested.delete('');
  if (requested.size === 0) return { ok: false, widening: [], empty: true };
  const widening = [...requested].filter((s) => !granted.includes(s));
  if (widening.length > 0) return { ok: false, widening, empty: false };
  return { ok: true, scopes: granted.filter((s) => requested.has(s)) };
}

/** The first token of the refresh-token family a sign-in starts (RFC 6749 §1.5), to store with what redeems it. */
export interface FirstRefreshToken {
  kind: 'refresh_token';
  key: string;
  record: { value: RefreshTokenRecord; owner: string; expiresAtMs: number };
}

/** What a family starts from: a redeemed code, or an approved device authorization. */
export type FamilyStart = Pick<
  RefreshTokenRecord,
  'clientId' | 'userId' | 'sid' | 'scopes' | 'resources' | 'authTime' | 'amr' | 'facts' | 'organization'
>;

/** A new family's first refresh token, owned by the new family id (reuse detection deletes by owner). */
export function firstOfFamily(
  start: FamilyStart,
  settings: CompiledPeopleClient,
  nowMs: number,
): FirstRefreshToken {
  const familyId = randomToken('fam_');
  const value: RefreshTokenRecord = {
    familyId,
    clientId: start.clientId,
    userId: start.userId,
    sid: start.sid,
    scopes: start.scopes,
    resources: start.resources,
    authTime: start.authTime,
    amr: start.amr,
    ...signInOf(start),
    familyCreatedAtMs: nowMs,
  };
  const expiresAtMs = refreshTokenExpiry(nowMs, nowMs, settings.refreshToken);
  return { kind: 'refresh_token', key: randomToken(), record: { value, owner: familyId, expiresAtMs } };
}

/** The sign-in facts and organization a family carries from its start to each successor, when recorded. */
export function signInOf(
  from: Pick<RefreshTokenRecord, 'facts' | 'organization'>,
): Pick<RefreshTokenRecord, 'facts' | 'organization'> {
  return {
    ...(from.facts === undefined ? {} : { facts: from.facts }),
    ...(from.organization === undefined ? {} : { organization: from.organization }),
  };
}

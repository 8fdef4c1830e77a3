import type { AuthorizationCodeRecord } from '../../people/records.ts';
import { checkCodeVerifier, type CodeVerifierCheck } from '../../people/tokens/pkce.ts';
import { firstOfFamily, type FirstRefreshToken } from '../../people/tokens/refresh-family.ts';
import { RevocationLimitReached } from '../../runtime/revocation-store.ts';
import type { StoredRecord } from '../../state/runtime-state.ts';
import type { CompiledClient } from '../../store/snapshot.ts';
import { nonEmpty } from '../client-auth.ts';
import { InvalidGrant, InvalidRequest } from '../errors.ts';
import type { Grant, GrantContext, Issued, PeopleGrantDeps } from './grant.ts';
import { issueSignInTokens, peopleGrantOf, peopleIssued } from './people-grant.ts';

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5): a client redeems the code the
 * authorization endpoint gave it, once, with the same `redirect_uri` and the PKCE `code_verifier`.
 */
export const authorizationCode: Grant = {
  type: 'authorization_code',
  parameters: new Set(['code', 'redirect_uri', 'code_verifier']),
  clientAuthentication: 'required',
  publicClients: true,
  needsState: true,
  handler: redeemCode,
};

const VERIFIER_REFUSALS: Readonly<Record<Exclude<CodeVerifierCheck, 'ok'>, string>> = {
  missing: 'code_verifier is missing: PKCE is required (RFC 7636)',
  malformed: 'code_verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1)',
  mismatch: 'code_verifier does not match the code_challenge of the authorization request',
};

async function redeemCode(ctx: GrantContext): Promise<Issued> {
  const { deps, settings } = peopleGrantOf(ctx);
  const code = nonEmpty(ctx.params.code);
  if (code === undefined) throw new InvalidRequest('code is missing');
  const redirectUri = nonEmpty(ctx.params.redirect_uri);
  if (redirectUri === undefined) throw new InvalidRequest('redirect_uri is missing');
  const nowMs = ctx.now();
  const stored = await deps.state.get<AuthorizationCodeRecord>('authorization_code', code, nowMs);
  if (stored === undefined) throw new InvalidGrant('code is invalid or has expired');
  if (stored.value.redeemed !== undefined) await refuseReuse(deps, stored.value, nowMs);
  checkBinding(stored.value, ctx.client, redirectUri, ctx.params.code_verifier);

  const record = stored.value;
  const { tokens, offline } = await issueSignInTokens(ctx, record, nowMs);
  const family = offline ? firstOfFamily(record, settings, nowMs) : undefined;
  await markRedeemed(deps, code, stored, { jti: tokens.jti, expiresAtMs: tokens.expiresAtMs, family }, nowMs);
  return peopleIssued(tokens, family?.key);
}

// RFC 6749 §4.1.3 and RFC 7636 §4.6. A failed check leaves the code as it is: only its rightful client can
// redeem it, and burning it on a bad verifier would let whoever saw the code deny the sign-in.
function checkBinding(
  record: AuthorizationCodeRecord,
  client: CompiledClient,
  redirectUri: string,
  verifier: string | undefined,
): void {
  if (record.clientId !== client.clientId) {
    throw new InvalidGrant('code was issued to another client', {
      detail: `code of '${record.clientId}' presented by '${client.clientId}'`,
    });
  }
  if (record.redirectUri !== redirectUri) {
    throw new InvalidGrant('redirect_uri differs from the one of the authorization request');
  }
  const check = checkCodeVerifier(verifier, record.codeChallenge);
  if (check !== 'ok') throw new InvalidGrant(VERIFIER_REFUSALS[check]);
}

/**
 * Marks the code redeemed, naming what it issued, and stores the first token of the refresh-token family it
 * starts in the same atomic step (RuntimeState.rotate): a redeemed code never lacks the family it names, and
 * an exchange that fails writes neither. Only one of concurrent redemptions wins the swap; the others are
 * reuse. The record is kept until the access token expires so that a late reuse still revokes.
 */
async function markRedeemed(
  deps: PeopleGrantDeps,
  code: string,
  stored: StoredRecord<AuthorizationCodeRecord>,
  issued: { jti: string; expiresAtMs: number; family: FirstRefreshToken | undefined },
  nowMs: number,
): Promise<void> {
  const { family } = issued;
  const redeemed: NonNullable<AuthorizationCodeRecord['redeemed']> = {
    atMs: nowMs,
    accessTokenJti: issued.jti,
    accessTokenExpiresAtMs: issued.expiresAtMs,
    ...(family === undefined ? {} : { familyId: family.record.value.familyId }),
  };
  const next = {
    value: { ...stored.value, redeemed },
    ...(stored.owner === undefined ? {} : { owner: stored.owner }),
    expiresAtMs: Math.max(stored.expiresAtMs, issued.expiresAtMs),
  };
  const swapped =
    family === undefined
      ? await deps.state.compareAndSwap('authorization_code', code, stored.version, next, nowMs)
      : await deps.state.rotate('authorization_code', code, stored.version, next, family, nowMs);
  if (swapped !== undefined) return;
  const now = await deps.state.get<AuthorizationCodeRecord>('authorization_code', code, nowMs);
  if (now?.value.redeemed !== undefined) await refuseReuse(deps, now.value, nowMs);
  throw new InvalidGrant('code is invalid or has expired');
}

/**
 * RFC 6749 §4.1.2: a code used twice is refused and what it issued is revoked: its access token through the
 * revocation list, the refresh-token family it started (with every successor) through its owner. Access
 * tokens issued later by refreshing that family are not tracked; they expire within their short lifetime.
 */
async function refuseReuse(
  deps: PeopleGrantDeps,
  record: AuthorizationCodeRecord,
  nowMs: number,
): Promise<never> {
  const redeemed = record.redeemed as NonNullable<AuthorizationCodeRecord['redeemed']>;
  try {
    await deps.revocations.revoke(
      redeemed.accessTokenJti,
      redeemed.accessTokenExpiresAtMs,
      nowMs,
      record.clientId,
    );
  } catch (err) {
    // The family is still ended below; a client at its revocation limit only keeps this one access token.
    if (!(err instanceof RevocationLimitReached)) throw err;
  }
  const ended =
    redeemed.familyId === undefined ? 0 : await deps.state.deleteByOwner('refresh_token', redeemed.familyId);
  throw new InvalidGrant('code was already used: the tokens issued with it are revoked', {
    detail: `authorization code reused by '${record.clientId}': access token revoked, ${ended} refresh tokens deleted`,
  });
}

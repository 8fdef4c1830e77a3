import type { UserRecord } from '../../people/records.ts';
import type { PeopleTokens } from '../../people/tokens/issue.ts';
import type { CompiledPeopleClient } from '../../store/snapshot.ts';
import { InvalidGrant, ServerError, UnauthorizedClient } from '../errors.ts';
import type { GrantContext, Issued, PeopleGrantDeps } from './grant.ts';

/** The runtime state and people settings a people grant works with; the registry serves it only with both. */
export function peopleGrantOf(ctx: GrantContext): { deps: PeopleGrantDeps; settings: CompiledPeopleClient } {
  if (ctx.people === undefined) throw new ServerError('a people grant was dispatched without runtime state');
  const settings = ctx.client.people;
  if (settings === undefined) {
    throw new UnauthorizedClient('this client has no people sign-in settings (redirectUris, appType)');
  }
  return { deps: ctx.people, settings };
}

/** The person a code or refresh token was issued for, who must still exist. */
export async function personOf(deps: PeopleGrantDeps, userId: string, nowMs: number): Promise<UserRecord> {
  const user = await deps.state.get<UserRecord>('user', userId, nowMs);
  if (user === undefined) {
    throw new InvalidGrant('the person this grant was issued for no longer exists', {
      detail: `user '${userId}' is gone`,
    });
  }
  return user.value;
}

/** The token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3) of a people grant. */
export function peopleIssued(tokens: PeopleTokens, refreshToken: string | undefined): Issued {
  return {
    response: {
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      expires_in: tokens.lifetimeSeconds,
      ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      ...(tokens.idToken === undefined ? {} : { id_token: tokens.idToken }),
    },
    audience: tokens.audience,
    algorithm: tokens.algorithm,
  };
}

import { decideOrganization } from '../../people/membership/organization.ts';
import { factsOr, type RulePerson } from '../../people/membership/rules.ts';
import type { SignedInPerson, UserRecord } from '../../people/records.ts';
import { issuePeopleTokens, type PeopleTokens } from '../../people/tokens/issue.ts';
import type { ClientOrganization, CompiledPeopleClient } from '../../store/snapshot.ts';
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

/** What a sign-in (a redeemed code, an approved device) grants: whose, through which session, for what. */
export interface SignInGrant extends SignedInPerson {
  scopes: readonly string[];
  resources: readonly string[];
  nonce?: string;
}

/**
 * The first tokens of a sign-in. `offline_access` stays in the scopes, and a refresh-token family is to start
 * (`offline`), only when the client may refresh: RFC 6749 §3.3, the response's scope says what was issued.
 */
export async function issueSignInTokens(
  ctx: GrantContext,
  grant: SignInGrant,
  nowMs: number,
): Promise<{ tokens: PeopleTokens; offline: boolean }> {
  const offline = grant.scopes.includes('offline_access') && ctx.client.grantTypes.has('refresh_token');
  const scopes = offline ? grant.scopes : grant.scopes.filter((scope) => scope !== 'offline_access');
  return { tokens: await issueGrantTokens(ctx, grant, scopes, nowMs), offline };
}

/**
 * A person's tokens for `scopes` under what a grant holds (a code, a device approval, a refresh token): the
 * person, who must still exist, and the session's `sid`, `auth_time` and `amr`.
 */
export async function issueGrantTokens(
  ctx: GrantContext,
  grant: Omit<SignInGrant, 'scopes'>,
  scopes: readonly string[],
  nowMs: number,
): Promise<PeopleTokens> {
  const { deps, settings } = peopleGrantOf(ctx);
  const user = await personOf(deps, grant.userId, nowMs);
  // A grant from before sign-ins recorded their facts matches nothing but a user id rule.
  const person = { userId: grant.userId, facts: factsOr(grant.facts, '') };
  const membership = membershipOf(ctx, grant.organization, person);
  return issuePeopleTokens({
    issuer: ctx.issuer,
    keys: ctx.snapshot.keys,
    client: ctx.client,
    people: settings,
    user,
    person,
    ...(membership === undefined ? {} : { membership }),
    peopleRoles: ctx.snapshot.peopleRoles,
    sid: grant.sid,
    authTime: grant.authTime,
    amr: grant.amr,
    scopes,
    authorizedResources: grant.resources,
    requestedResources: ctx.resources,
    ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    nowMs,
  });
}

/**
 * The organization of a grant's tokens under the rules in force now (src/people/membership/organization.ts): a
 * person no longer a member, or an organization that no longer lists the client, ends the grant.
 *
 * @throws {InvalidGrant} when the organization refuses the person, or a choice among several would be needed
 */
function membershipOf(
  ctx: GrantContext,
  organization: string | undefined,
  person: RulePerson,
): ClientOrganization | undefined {
  const outcome = decideOrganization(organization, ctx.client, person);
  switch (outcome.kind) {
    case 'none':
      return undefined;
    case 'member':
      return outcome.membership;
    case 'refuse':
      throw new InvalidGrant(`the grant no longer holds: ${outcome.reason}`);
    case 'choose':
      throw new InvalidGrant('this client now requires an organization: the person must sign in again');
  }
}

import type { SigningAlgorithm } from '../../api/resource-server.ts';
import type { SigningKeys } from '../../keys/signing-keys.ts';
import { ServerError } from '../../server/errors.ts';
import { FailureCause } from '../../server/failure-causes.ts';
import { newJti } from '../../server/jti.ts';
import { signAccessToken } from '../../server/jwt-sign.ts';
import type {
  ClientOrganization,
  CompiledClient,
  CompiledPeopleClient,
  PeopleGrant,
} from '../../store/snapshot.ts';
import { personPermissions, type RulePerson } from '../membership/rules.ts';
import type { UserRecord } from '../records.ts';
import { peopleAccessTokenClaims, peopleTokenTarget } from './access-token.ts';
import { ID_TOKEN_ALGORITHM, idTokenClaims, signIdToken } from './id-token.ts';
import { limitToRoles, needsRolePermissions, personApiClaims } from './person-claims.ts';
import { personClaims } from './scopes.ts';

/** What a person's tokens are issued from: a redeemed code or a refresh token. */
export interface PeopleTokenInput {
  issuer: string;
  keys: SigningKeys;
  client: CompiledClient;
  people: CompiledPeopleClient;
  user: UserRecord;
  /** The person as Organization and Role rules see them: what their sign-in said. */
  person: RulePerson;
  /** The organization the tokens are for: its permissions for this client stand for the client's own. */
  membership?: ClientOrganization;
  /** Roles naming people (Snapshot.peopleRoles). */
  peopleRoles: readonly PeopleGrant[];
  sid: string;
  authTime: number;
  amr: readonly string[];
  /** The scopes of this issuance (those of the code, or of the refresh token narrowed by `scope`). */
  scopes: readonly string[];
  /** `resource` values of the authorization request. */
  authorizedResources: readonly string[];
  /** `resource` values of the token request. */
  requestedResources: readonly string[];
  nonce?: string;
  nowMs: number;
}

/** The access token, and the ID token when `openid` was asked for. */
export interface PeopleTokens {
  accessToken: string;
  jti: string;
  expiresAtMs: number;
  lifetimeSeconds: number;
  scope?: string;
  /** The access token's `aud`. */
  audience: string;
  algorithm: SigningAlgorithm;
  idToken?: string;
}

/**
 * Signs a person's access token (RFC 9068) and, when the scopes hold `openid`, the ID token beside it
 * (OpenID Connect Core §3.1.3.3) with `at_hash` of that access token.
 *
 * @throws {InvalidTarget} see {@link peopleTokenTarget}
 * @throws {ServerError} when no key signs the algorithm needed
 */
export async function issuePeopleTokens(input: PeopleTokenInput): Promise<PeopleTokens> {
  const asked = peopleTokenTarget(
    input.membership?.permissions ?? input.client.permissions,
    input.scopes,
    input.authorizedResources,
    input.requestedResources,
  );
  const api = asked.api?.api;
  const rolePermissions =
    api !== undefined && needsRolePermissions(api)
      ? personPermissions(input.peopleRoles, input.membership, input.person, api)
      : [];
  const target = limitToRoles(asked, rolePermissions);
  const organization = input.membership?.organization;
  const jti = newJti();
  const { claims, lifetimeSeconds, algorithm } = peopleAccessTokenClaims(
    {
      issuer: input.issuer,
      clientId: input.client.clientId,
      userId: input.user.id,
      authTime: input.authTime,
      target,
      jti,
      person: personApiClaims(api, organization, { rolePermissions, groups: input.person.facts.groups }),
    },
    input.nowMs,
  );
  const accessToken = await signAccessToken(keyFor(input.keys, algorithm), claims);
  const tokens: PeopleTokens = {
    accessToken,
    jti,
    expiresAtMs: claims.exp * 1000,
    lifetimeSeconds,
    audience: claims.aud,
    algorithm,
    ...(claims.scope === undefined ? {} : { scope: claims.scope }),
  };
  if (!input.scopes.includes('openid')) return tokens;
  const idClaims = idTokenClaims(
    {
      issuer: input.issuer,
      clientId: input.client.clientId,
      userId: input.user.id,
      sid: input.sid,
      authTime: input.authTime,
      amr: input.amr,
      ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
      lifetimeSeconds: input.people.idTokenLifetimeSeconds,
      accessToken,
      algorithm: ID_TOKEN_ALGORITHM,
      person: personClaims(input.user, input.scopes),
      ...(organization === undefined ? {} : { organization }),
    },
    input.nowMs,
  );
  tokens.idToken = await signIdToken(keyFor(input.keys, ID_TOKEN_ALGORITHM), idClaims);
  return tokens;
}

function keyFor(keys: SigningKeys, algorithm: SigningAlgorithm) {
  const key = keys.active.get(algorithm);
  if (key === undefined) {
    throw new ServerError(`no active signing key for ${algorithm}`, { failure: FailureCause.NoSigningKey });
  }
  return key;
}

import type { ConnectionSignIn } from '../../store/snapshot.ts';
import type { UpstreamIdentity } from './upstream.ts';

/** The person as the upstream's claims describe them, before the Connection and `amr` are added. */
export type MappedClaims = Omit<UpstreamIdentity, 'connection' | 'amr'>;

/** Why claims could not be mapped: the claim named as the user id is missing or not a non-empty string. */
export type ClaimMapping = { ok: true; person: MappedClaims } | { ok: false; reason: string };

/**
 * Applies a Connection's claim mapping to an upstream's claims (ID token, then userinfo for what it lacked).
 * The user id must be a non-empty string (OpenID Connect Core §2 `sub`); the rest is taken only when it has the
 * right type, so an upstream that sends a number for `email` is read as having no email. `email_verified`
 * counts only as boolean `true` or the string `"true"` (some IdPs, older Cognito and ADFS among them, send
 * a string). Groups come from a claim name or a dotted path, as a string array or a single string.
 *
 * @example
 * mapClaims({ sub: '248289761001', email: 'jane@example.com', email_verified: true }, signIn.claims);
 * // {ok: true, person: {subject: '248289761001', email: 'jane@example.com', emailVerified: true, groups: []}}
 */
export function mapClaims(
  claims: Record<string, unknown>,
  mapping: ConnectionSignIn['claims'],
): ClaimMapping {
  const subject = own(claims, mapping.userId);
  if (typeof subject !== 'string' || subject === '') {
    return { ok: false, reason: `the ${JSON.stringify(mapping.userId)} claim is not a non-empty string` };
  }
  const email = nonEmptyString(own(claims, mapping.email));
  const name = nonEmptyString(own(claims, mapping.name));
  const username = nonEmptyString(own(claims, mapping.username));
  const verified = own(claims, mapping.emailVerified);
  return {
    ok: true,
    person: {
      subject,
      ...(email === undefined ? {} : { email }),
      emailVerified: email !== undefined && (verified === true || verified === 'true'),
      ...(name === undefined ? {} : { name }),
      ...(username === undefined ? {} : { username }),
      groups: mapping.groups === undefined ? [] : groupsAt(claims, mapping.groups),
    },
  };
}

/** Most groups kept of one sign-in, and the longest group name kept (`boundedGroups`). */
export const MAX_GROUPS = 500;
export const MAX_GROUP_LENGTH = 256;

/**
 * The groups an upstream gave, bounded: names longer than {@link MAX_GROUP_LENGTH} dropped, duplicates removed, at
 * most {@link MAX_GROUPS} in the order given. They are recorded with every session, code and refresh token and may
 * go into tokens, so an account with thousands of groups cannot grow them without bound; fewer groups only ever
 * match fewer rules (Organization members, Role subjects), never more.
 */
export function boundedGroups(groups: readonly string[]): string[] {
  const kept = new Set<string>();
  for (const g of groups) {
    if (kept.size === MAX_GROUPS) break;
    if (g !== '' && g.length <= MAX_GROUP_LENGTH) kept.add(g);
  }
  return [...kept];
}

/**
 * Groups at a claim name or, when no claim has that name, a dotted path (`realm_access.roles`): a string array
 * (non-strings dropped, bounded by {@link boundedGroups}) or one string. A claim named with dots (`https://example.com/groups`,
 * as Auth0 and Okta custom claims are) is found by its name first.
 */
export function groupsAt(claims: Record<string, unknown>, path: string): string[] {
  let value = own(claims, path);
  if (value === undefined) {
    value = path.split('.').reduce<unknown>((at, key) => (isObject(at) ? own(at, key) : undefined), claims);
  }
  if (typeof value === 'string') return boundedGroups([value]);
  if (!Array.isArray(value)) return [];
  return boundedGroups(value.filter((g): g is string => typeof g === 'string'));
}

/** Whether claims hold every claim the mapping reads (userinfo is asked only for what is missing). */
export function lacksMappedClaims(
  claims: Record<string, unknown>,
  mapping: ConnectionSignIn['claims'],
): boolean {
  const names = [mapping.email, mapping.emailVerified, mapping.name, mapping.username];
  if (names.some((n) => own(claims, n) === undefined)) return true;
  return mapping.groups !== undefined && groupsAt(claims, mapping.groups).length === 0;
}

/** An own property only: a claim named `__proto__` or `constructor` must not reach the prototype. */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

import type { CompiledApi, Grant as ApiGrant } from '../../store/snapshot.ts';
import { quote } from '../errors.ts';

/**
 * The private details of refused targets and scopes: what the log says about `invalid_target`,
 * `invalid_scope` and a missing `audience`, so that whoever reads it knows which API, which scope and what the
 * client is granted instead. The response body says less (it never names other APIs).
 */

/** What a detail may name besides the client's permissions. */
export interface TargetContext {
  /** Every API in effect, by identifier: says whether a refused audience exists at all. */
  readonly apis?: ReadonlyMap<string, CompiledApi>;
  /** Who the permissions are of: `this client`, or `this client in organization 'acme'`. */
  readonly who?: string;
}

const LISTED = 5;

function listOf(items: readonly string[], max: number, none: string): string {
  if (items.length === 0) return none;
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function grantedApis(permissions: ReadonlyMap<string, ApiGrant>): string {
  return listOf([...permissions.keys()], LISTED, 'no API');
}

function resourceServer(api: CompiledApi): string {
  return `ResourceServer ${api.namespace}/${api.name}`;
}

/**
 * Why a request without `audience` or `resource` names no API: the client is granted none, or several.
 *
 * @example
 * audienceRequiredDetail(permissions); // 'audience is required (or resource): this client is granted several APIs, send one of https://a.internal, https://b.internal'
 */
export function audienceRequiredDetail(
  permissions: ReadonlyMap<string, ApiGrant>,
  who = 'this client',
): string {
  if (permissions.size === 0) {
    return `audience is required (or resource), but ${who} is granted no API: a grant or Role that is not in effect grants nothing (the OAuthClient's ReferencesResolved condition says which)`;
  }
  return `audience is required (or resource): ${who} is granted several APIs, send one of ${grantedApis(permissions)}`;
}

// A trailing slash, the scheme or the case are the usual differences between what a client sends and the
// identifier it meant.
function normalized(identifier: string): string {
  return identifier
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/\/+$/, '');
}

function closest(requested: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalized(requested);
  for (const c of candidates) if (c !== requested && normalized(c) === wanted) return c;
  return undefined;
}

/**
 * Why the API a request names is refused: it exists but is not granted (and by whom it is declared), or no
 * API in effect has that identifier (with the near miss the client probably meant).
 *
 * @param parameter `audience` or `resource`, whichever named it
 */
export function targetRefusalDetail(
  parameter: 'audience' | 'resource',
  requested: string,
  permissions: ReadonlyMap<string, ApiGrant>,
  context: TargetContext = {},
): string {
  const who = context.who ?? 'this client';
  const granted = `${who} is granted ${grantedApis(permissions)}`;
  const api = context.apis?.get(requested);
  if (api !== undefined) {
    return `${parameter} ${quote(requested)} is ${resourceServer(api)}, which is not granted to ${who}; ${granted}`;
  }
  const near = closest(requested, [...permissions.keys(), ...(context.apis?.keys() ?? [])]);
  const hint = near === undefined ? '' : ` (did you mean ${quote(near)}?)`;
  return `${parameter} ${quote(requested)} is the identifier of no ResourceServer in effect${hint}; ${granted}`;
}

/**
 * Why requested scopes are refused: for each, whether the API does not declare it or the client is not
 * granted it; and what the client is granted.
 *
 * @example
 * scopeRefusalDetail(grant, ['payments:refund']);
 * // "scope not granted for https://payments.internal (ResourceServer payments/payments): 'payments:refund' (declared, not granted); this client is granted 'payments:read'"
 */
export function scopeRefusalDetail(grant: ApiGrant, missing: readonly string[], who = 'this client'): string {
  const declared = new Set(grant.api.scopes);
  const refused = missing
    .slice(0, 10)
    .map((s) => `${quote(s)} (${declared.has(s) ? 'declared, not granted' : 'not declared by the API'})`);
  const more = missing.length > 10 ? ` and ${missing.length - 10} more` : '';
  const granted = listOf(grant.scopes.map(quote), 10, 'none of its scopes');
  return `scope not granted for ${grant.api.identifier} (${resourceServer(grant.api)}): ${refused.join(', ')}${more}; ${who} is granted ${granted}`;
}

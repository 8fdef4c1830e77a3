import { ASSERTION_MAX_LIFETIME_CEILING } from '../../api/oauth-client.ts';
import { InvalidClient, quote } from '../errors.ts';
import { FailureCause } from '../failure-causes.ts';
import { CLIENT_ASSERTION, type Refusal } from './refusal.ts';

/** Clock difference tolerated between a client and Latchkey, for `exp`, `nbf` and `iat` (RFC 7523 §3). */
export const CLOCK_SKEW_SECONDS = 60;
/**
 * How far ahead `exp` may be unless the client's `spec.clientAssertion.maxLifetime` says otherwise (at most
 * an hour). An assertion is made for one request; a long-lived one is a bearer credential that a leak would
 * expose for longer, and the replay cache has to hold its `jti` as long.
 */
export const DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Longest `jti` kept in the replay cache; a client needs far less to be unique. */
export const MAX_JTI_LENGTH = 256;

export interface AssertionClaimRules {
  clientId: string;
  /** Accepted `aud` values: the issuer and the token endpoint URL. */
  audiences: readonly string[];
  nowSeconds: number;
  /** How far ahead `exp` may be: the client's own limit, {@link DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS} by default. */
  maxLifetimeSeconds: number;
}

/** What the replay check needs from claims that passed. */
export interface CheckedClaims {
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
}

/**
 * Checks the claims of a client assertion whose signature has been verified (RFC 7523 §3, OpenID Connect
 * Core §9): `iss` and `sub` are the client, `aud` names this server, `exp` is in the future and at most
 * `maxLifetimeSeconds` ahead, `nbf` and `iat` are not in the future, `jti` is present.
 * Every bound allows {@link CLOCK_SKEW_SECONDS}. `jti` reuse is the caller's to check.
 *
 * @throws {InvalidClient} naming the first claim that fails
 * @example
 * const { jti, exp } = checkAssertionClaims(jwt.payload, { clientId, audiences: [issuer, tokenEndpoint], nowSeconds, maxLifetimeSeconds: 300 });
 */
export function checkAssertionClaims(
  claims: Readonly<Record<string, unknown>>,
  rules: AssertionClaimRules,
): CheckedClaims {
  const { clientId, audiences, nowSeconds: now, maxLifetimeSeconds } = rules;
  const { iss, sub, jti } = claims;

  if (iss === undefined) throw fail("'iss' is missing");
  if (iss !== clientId) throw fail(`'iss' must be the client_id ${quote(clientId)}`);
  if (sub !== clientId) throw fail(`'sub' must be the client_id ${quote(clientId)}`);
  const exp = checkAudienceAndTimes(claims, { audiences, nowSeconds: now, maxLifetimeSeconds }, fail);
  if (jti === undefined || jti === '') throw fail("'jti' is missing: every assertion needs a unique one");
  if (typeof jti !== 'string') throw fail("'jti' must be a string");
  if (jti.length > MAX_JTI_LENGTH) throw fail(`'jti' is longer than ${MAX_JTI_LENGTH} characters`);
  return { jti, exp };
}

/** RFC 7519 §4.1.3: a single string, or an array in which one value identifies this server. */
export function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  return Array.isArray(aud) && aud.some((a) => typeof a === 'string' && accepted.includes(a));
}

/** RFC 7519 §2: a JSON number of seconds; finite, so `1e400` (Infinity once parsed) never passes. */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function fail(what: string): InvalidClient {
  return new InvalidClient(`client_assertion ${what}`, { failure: FailureCause.BadAssertion });
}

/**
 * Checks the claims of a federated workload token whose signature has been verified (a projected
 * ServiceAccount token, or another issuer's token for a Connection of type `oidc`), whether it authenticates
 * a client (`client_assertion`) or is itself the grant (RFC 7523 §2.1 `assertion`, RFC 8693 `subject_token`):
 * `aud` names this server, `exp` is present and in the future, `nbf` and `iat` are not in the future. Unlike
 * a client assertion it may live long (ServiceAccount tokens live an hour or more and are reused until they
 * rotate), so neither the lifetime cap nor `jti` apply. Which `iss` and `sub` are accepted is the caller's to
 * check.
 *
 * @throws the refusal's error (`invalid_client` for a `client_assertion`) naming the first claim that fails
 */
export function checkFederatedClaims(
  claims: Readonly<Record<string, unknown>>,
  rules: { audiences: readonly string[]; nowSeconds: number; refusal?: Refusal },
): void {
  const { audiences, nowSeconds: now, refusal = CLIENT_ASSERTION } = rules;
  const fail = (what: string) => refusal.refuse(`${refusal.parameter} ${what}`);
  checkAudienceAndTimes(claims, { audiences, nowSeconds: now }, fail);
}

/**
 * The checks every JWT Latchkey accepts as a credential shares, in this order so the first failing claim is
 * the one named: `aud` names this server; `exp` is present, in the future and (for one-request assertions) at
 * most `maxLifetimeSeconds` ahead; `nbf` and `iat` are not in the future. Each bound allows the clock skew.
 * Returns `exp`.
 */
function checkAudienceAndTimes(
  claims: Readonly<Record<string, unknown>>,
  rules: { audiences: readonly string[]; nowSeconds: number; maxLifetimeSeconds?: number },
  fail: (what: string) => Error,
): number {
  const { audiences, nowSeconds: now, maxLifetimeSeconds } = rules;
  const { aud, exp, nbf, iat } = claims;
  if (aud === undefined) throw fail("'aud' is missing");
  if (!audienceMatches(aud, audiences)) {
    throw fail(`'aud' must be the issuer ${quote(audiences[0] ?? '')} or the token endpoint URL`);
  }
  if (exp === undefined) throw fail("'exp' is missing");
  if (!isNumericDate(exp)) throw fail("'exp' must be a NumericDate (seconds since the epoch)");
  if (exp <= now - CLOCK_SKEW_SECONDS) throw fail("has expired ('exp' is in the past)");
  if (maxLifetimeSeconds !== undefined && exp > now + maxLifetimeSeconds + CLOCK_SKEW_SECONDS) {
    // Reached only once the signature verified: naming the client's own limit tells nothing to a stranger.
    throw fail(
      `'exp' is more than ${maxLifetimeSeconds} seconds ahead: sign assertions that expire sooner, or raise the OAuthClient's spec.clientAssertion.maxLifetime (at most ${ASSERTION_MAX_LIFETIME_CEILING})`,
    );
  }
  if (nbf !== undefined && !isNumericDate(nbf)) throw fail("'nbf' must be a NumericDate");
  if (nbf !== undefined && nbf > now + CLOCK_SKEW_SECONDS)
    throw fail("is not valid yet ('nbf' is in the future)");
  if (iat !== undefined && !isNumericDate(iat)) throw fail("'iat' must be a NumericDate");
  if (iat !== undefined && iat > now + CLOCK_SKEW_SECONDS) throw fail("'iat' is in the future");
  return exp;
}

/**
 * Client assertions (RFC 7523 §2.2, §3) signed before a run starts. Latchkey refuses a `jti` it has seen, so
 * every request needs an assertion of its own; signing them ahead keeps the load generator from measuring its
 * own signing.
 */

import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import type { JWK } from 'jose';

/** How much faster than the fastest shared-secret run an assertion run may go before its pool runs out. */
export const POOL_HEADROOM = 1.5;
/** The smallest pool: enough for a slow first run on an idle machine. */
export const MIN_POOL_SIZE = 2_000;
/**
 * Time the assertions stay valid beyond warm-up and measurement: signing the pool and starting the load
 * generator. Latchkey holds each `jti` until `exp` plus its clock skew, so a longer life only fills its
 * replay cache.
 */
export const ASSERTION_MARGIN_SECONDS = 30;
/** Latchkey's default cap on `exp` (src/server/assertion/claims.ts, DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export interface AssertionSigner {
  clientId: string;
  privateJwk: JWK;
  kid: string;
  alg: 'ES256';
}

/**
 * How many assertions a run needs: a run's worth of requests at the fastest rate seen for a shared secret
 * (a request that also verifies an assertion is never faster), with headroom for noise.
 *
 * @param fastestRate requests per second over warm-up and measurement, 0 when nothing was measured yet
 * @example
 * assertionPoolSize(9_000, 6); // 81000
 */
export function assertionPoolSize(fastestRate: number, runSeconds: number): number {
  if (!Number.isFinite(fastestRate) || fastestRate < 0) throw new RangeError(`bad rate ${fastestRate}`);
  if (!Number.isFinite(runSeconds) || runSeconds <= 0) throw new RangeError(`bad run length ${runSeconds}`);
  return Math.max(MIN_POOL_SIZE, Math.ceil(fastestRate * runSeconds * POOL_HEADROOM));
}

/**
 * How long the assertions of a run live, from the moment they are signed: warm-up and measurement plus a
 * margin for signing the pool and starting the load generator, so none expires in the measured window and
 * none outlives the run by much.
 *
 * @throws {RangeError} when the run is longer than Latchkey lets an assertion live
 * @example
 * assertionLifetime(6); // 36
 */
export function assertionLifetime(runSeconds: number): number {
  const lifetime = Math.ceil(runSeconds + ASSERTION_MARGIN_SECONDS);
  if (lifetime > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw new RangeError(
      `a run of ${runSeconds}s needs assertions living ${lifetime}s; Latchkey accepts at most ${MAX_ASSERTION_LIFETIME_SECONDS}s`,
    );
  }
  return lifetime;
}

/** The claims of one assertion: the client is `iss` and `sub`, `aud` names the server (RFC 7523 §3). */
export function assertionClaims(
  clientId: string,
  audience: string,
  jti: string,
  iat: number,
  lifetimeSeconds: number,
): Record<string, string | number> {
  return { iss: clientId, sub: clientId, aud: audience, jti, iat, exp: iat + lifetimeSeconds };
}

/**
 * Signs `count` compact JWS assertions with distinct `jti`s, synchronously: this runs before the clock
 * starts, and node:crypto's synchronous ES256 is several times faster than going through WebCrypto.
 */
export function signAssertions(
  signer: AssertionSigner,
  audience: string,
  count: number,
  nowSeconds: number,
  lifetimeSeconds: number,
): string[] {
  const key = createPrivateKey({ key: signer.privateJwk, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: signer.alg, typ: 'JWT', kid: signer.kid })).toString(
    'base64url',
  );
  const iat = Math.floor(nowSeconds);
  const jtis = randomBytes(16 * count);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const jti = jtis.toString('base64url', i * 16, (i + 1) * 16);
    const payload = Buffer.from(
      JSON.stringify(assertionClaims(signer.clientId, audience, jti, iat, lifetimeSeconds)),
    ).toString('base64url');
    const input = `${header}.${payload}`;
    // JWS ES256 is r || s (RFC 7518 §3.4), not DER.
    const signature = sign('sha256', Buffer.from(input, 'latin1'), { key, dsaEncoding: 'ieee-p1363' });
    out[i] = `${input}.${signature.toString('base64url')}`;
  }
  return out;
}

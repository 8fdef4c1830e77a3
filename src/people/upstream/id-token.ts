import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

import { UpstreamSignInError } from './upstream.ts';

/** Clocks of Latchkey and an upstream differ by a little; OpenID Connect Core §3.1.3.7 leaves the skew to us. */
export const ID_TOKEN_CLOCK_SKEW_SECONDS = 60;
/** The ID token was issued for this sign-in moments ago (§3.1.3.7 point 10): older is a replay. */
export const ID_TOKEN_MAX_AGE_SECONDS = 10 * 60;

export interface IdTokenExpectations {
  /** The issuer the sign-in went to (and, for Google, its historic spelling). */
  issuers: readonly string[];
  /** Latchkey's client id at the upstream: the audience. */
  clientId: string;
  /** The `nonce` sent with the authorization request. */
  nonce: string | undefined;
  /** From discovery: the algorithms the provider signs ID tokens with. */
  algorithms: readonly string[];
  nowMs: number;
}

/**
 * Validates an upstream ID token as OpenID Connect Core §3.1.3.7 says: signed by a key of the provider's JWK
 * Set with an algorithm it announced, `iss` the issuer, `aud` containing the client id (and `azp` the client id
 * when present or when there are several audiences), `exp` and `iat` within the skew, `sub` present, `nonce`
 * equal to the one sent.
 *
 * @param keys the provider's JWK Set; `refresh` asks for a newer one (a `kid` not in the cached set)
 * @throws {UpstreamSignInError} `id_token_invalid` or `nonce_mismatch`
 */
export async function verifyIdToken(
  idToken: unknown,
  expected: IdTokenExpectations,
  keys: (refresh: boolean) => Promise<JSONWebKeySet>,
): Promise<JWTPayload & { sub: string }> {
  if (typeof idToken !== 'string') throw invalid('the token response has no ID token');
  const verify = async (jwks: JSONWebKeySet) =>
    jwtVerify(idToken, createLocalJWKSet(jwks), {
      issuer: [...expected.issuers],
      audience: expected.clientId,
      algorithms: [...expected.algorithms],
      clockTolerance: ID_TOKEN_CLOCK_SKEW_SECONDS,
      maxTokenAge: ID_TOKEN_MAX_AGE_SECONDS,
      currentDate: new Date(expected.nowMs),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    });
  let payload: JWTPayload;
  try {
    try {
      ({ payload } = await verify(await keys(false)));
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      ({ payload } = await verify(await keys(true)));
    }
  } catch (error) {
    if (error instanceof UpstreamSignInError) throw error;
    // Not kept as the cause: jose's claim errors carry the whole payload, which holds personal data.
    throw invalid(whyRefused(error));
  }
  checkAuthorizedParty(payload, expected.clientId);
  if (expected.nonce === undefined || payload.nonce !== expected.nonce) {
    throw new UpstreamSignInError(
      'nonce_mismatch',
      'The sign-in answer does not belong to this sign-in (its nonce differs). Start the sign-in again.',
    );
  }
  return payload as JWTPayload & { sub: string };
}

/** §3.1.3.7 points 4–5: several audiences need `azp`, and an `azp` must be the client id. */
function checkAuthorizedParty(payload: JWTPayload, clientId: string): void {
  const several = Array.isArray(payload.aud) && payload.aud.length > 1;
  if ((several || payload.azp !== undefined) && payload.azp !== clientId) {
    throw invalid('its "azp" claim is not Latchkey');
  }
}

/** jose's reason in words without the token: which claim or check failed. */
function whyRefused(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `its "${error.claim}" claim is not acceptable`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the provider signed it';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not one the provider announced';
  return 'it is not a valid signed JWT';
}

function invalid(why: string): UpstreamSignInError {
  return new UpstreamSignInError(
    'id_token_invalid',
    `The sign-in provider's ID token was not accepted: ${why}.`,
  );
}

import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** Why a `code_verifier` does not redeem a code, or `ok`. */
export type CodeVerifierCheck = 'ok' | 'missing' | 'malformed' | 'mismatch';

/**
 * Checks a `code_verifier` against the code's S256 `code_challenge` (RFC 7636 §4.6):
 * `BASE64URL(SHA256(ASCII(code_verifier)))` must equal the challenge. A verifier that is not 43–128
 * unreserved characters is refused before hashing, so a `plain` challenge sent as a verifier never matches.
 *
 * @example
 * checkCodeVerifier(params.code_verifier, record.codeChallenge); // 'ok'
 */
export function checkCodeVerifier(verifier: string | undefined, challenge: string): CodeVerifierCheck {
  if (verifier === undefined || verifier.length === 0) return 'missing';
  if (!CODE_VERIFIER.test(verifier)) return 'malformed';
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected) ? 'ok' : 'mismatch';
}

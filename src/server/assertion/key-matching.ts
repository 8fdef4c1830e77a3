import type { KeyObject } from 'node:crypto';
import { compactVerify } from 'jose/jws/compact/verify';
import type { ClientKey } from '../../store/client-keys.ts';
import type { UnverifiedJwt } from './jwt.ts';
import { FailureCause } from '../failure-causes.ts';
import { CLIENT_ASSERTION, type Refusal } from './refusal.ts';

/** Keys that fit the header: the same `kid` when it names one, and a key type and curve made for `alg`. */
export function matchingKeys(keys: readonly ClientKey[], alg: string, kid: string | undefined): ClientKey[] {
  return keys.filter((k) => (kid === undefined || k.kid === kid) && fits(k, alg));
}

// RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2.2: which key verifies which algorithm.
function fits(key: ClientKey, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return key.kty === 'RSA';
  if (alg === 'ES256') return key.kty === 'EC' && key.crv === 'P-256';
  if (alg === 'ES384') return key.kty === 'EC' && key.crv === 'P-384';
  if (alg === 'ES512') return key.kty === 'EC' && key.crv === 'P-521';
  if (alg === 'EdDSA') return key.kty === 'OKP';
  if (alg === 'Ed25519') return key.kty === 'OKP' && key.crv === 'Ed25519';
  return false;
}

/** Succeeds when one of the keys verifies the signature with exactly `alg`. */
export async function verifyWithAnyKey(
  jwt: UnverifiedJwt,
  alg: string,
  keys: readonly KeyObject[],
  description = 'client_assertion signature does not verify with the keys of this client',
  refusal: Refusal = CLIENT_ASSERTION,
): Promise<void> {
  const failures: string[] = [];
  for (const key of keys) {
    try {
      // `algorithms` pins the one algorithm already checked against the method, so a public key can never
      // be taken for an HMAC secret (key confusion); jose also refuses unknown `crit` headers (RFC 7515 §4.1.11).
      await compactVerify(jwt.compact, key, { algorithms: [alg] });
      return;
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  throw refusal.refuse(description, {
    detail: failures.join('; ') || 'no key to try',
    failure: FailureCause.BadSignature,
  });
}

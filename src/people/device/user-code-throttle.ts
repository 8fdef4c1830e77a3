import type { SignInLimit, ThrottleCounter } from '../throttle.ts';
import { addressBucket } from '../throttle.ts';

/**
 * Limits on wrong user codes at the verification page (RFC 8628 §5.1: a user code is short, so guessing must be
 * slowed). Counted per browser (its binding cookie) and per source address, in `sign_in_failure` records like
 * failed sign-ins, so every replica counts the same ones.
 */
export interface UserCodeLimits {
  perBrowser: SignInLimit;
  perAddress: SignInLimit;
}

/**
 * Five wrong codes per browser and twenty per address in 15 minutes. With 20^8 codes and a thousand devices
 * waiting at once, an address guessing at that rate needs some 25 years for an even chance of hitting any one of
 * them (and a hit only lets it sign its own account in on a stranger's device); a person with a typo or two is
 * never stopped.
 */
export const DEFAULT_USER_CODE_LIMITS: UserCodeLimits = {
  perBrowser: { failures: 5, windowSeconds: 15 * 60 },
  perAddress: { failures: 20, windowSeconds: 15 * 60 },
};

/** The counters of one code entered: the source address and the browser (by its binding cookie's digest). */
export function userCodeCounters(
  limits: UserCodeLimits,
  address: string,
  browserDigest: string,
): ThrottleCounter[] {
  return [
    { scope: 'address', key: `user_code:address:${addressBucket(address)}`, limit: limits.perAddress },
    { scope: 'browser', key: `user_code:browser:${browserDigest}`, limit: limits.perBrowser },
  ];
}

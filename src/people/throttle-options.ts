import { ConfigError } from '../config-error.ts';
import type { OptionDef, OptionValues } from '../option-table.ts';
import { durationOption, formatDuration, integerOption } from '../options.ts';
import { DEFAULT_USER_CODE_LIMITS, type UserCodeLimits } from './device/user-code-throttle.ts';
import { DEFAULT_SIGN_IN_LIMITS, type SignInLimits } from './throttle.ts';

/**
 * The command-line options of the failed sign-in throttle (throttle.ts) and of wrong device codes
 * (device/user-code-throttle.ts), in `latchkey dev` and the operator (chart values `signIn.*`). One window serves
 * every counter: failures age out together, so "try again in N minutes" is one answer.
 */
export const SIGN_IN_LIMIT_OPTIONS = [
  {
    name: 'sign-in-failures-per-person',
    type: 'string',
    value: 'N',
    default: String(DEFAULT_SIGN_IN_LIMITS.perPerson.failures),
    description: 'failed sign-ins one person (a Connection and a username) may have within the window',
  },
  {
    name: 'sign-in-failures-per-address',
    type: 'string',
    value: 'N',
    default: String(DEFAULT_SIGN_IN_LIMITS.perAddress.failures),
    description:
      'failed sign-ins one source address (an IPv6 /64) may have within the window; behind a proxy every visitor shares its address',
  },
  {
    name: 'sign-in-failure-window',
    type: 'string',
    value: 'D',
    default: formatDuration(DEFAULT_SIGN_IN_LIMITS.perPerson.windowSeconds * 1000),
    description:
      'how long a failed sign-in counts; past a limit, attempts are refused until the oldest ages out',
  },
  {
    name: 'device-code-failures-per-browser',
    type: 'string',
    value: 'N',
    default: String(DEFAULT_USER_CODE_LIMITS.perBrowser.failures),
    description:
      'unknown codes one browser may enter on the device verification page within the window (RFC 8628 §5.1)',
  },
  {
    name: 'device-code-failures-per-address',
    type: 'string',
    value: 'N',
    default: String(DEFAULT_USER_CODE_LIMITS.perAddress.failures),
    description:
      'unknown codes one source address (an IPv6 /64) may enter on the device verification page within the window',
  },
] as const satisfies readonly OptionDef[];

/** Most failures a limit may allow: beyond this a limit no longer slows online guessing. */
const MAX_FAILURES = 100_000;

/**
 * Reads {@link SIGN_IN_LIMIT_OPTIONS}; an absent option keeps its default (the per-person limit at most the
 * per-address one given).
 *
 * @throws {ConfigError} naming the option that is not an integer or a duration in range, or a per-person limit
 *   above the per-address one (the address counter would then stop a person first, and the person limit never)
 */
export function signInLimitsOption(values: OptionValues<typeof SIGN_IN_LIMIT_OPTIONS>): SignInLimits {
  const d = DEFAULT_SIGN_IN_LIMITS;
  const { inner: perPerson, outer: perAddress } = nestedLimits(
    values,
    { name: 'sign-in-failures-per-person', fallback: d.perPerson.failures },
    { name: 'sign-in-failures-per-address', fallback: d.perAddress.failures },
  );
  const windowSeconds = failureWindowSeconds(values);
  return {
    perPerson: { failures: perPerson, windowSeconds },
    perAddress: { failures: perAddress, windowSeconds },
  };
}

/**
 * Reads the wrong device code limits of {@link SIGN_IN_LIMIT_OPTIONS}, counted over the window of
 * `--sign-in-failure-window`; an absent option keeps its default (the per-browser limit at most the per-address
 * one given).
 *
 * @throws {ConfigError} naming the option that is not an integer in range, or a per-browser limit above the
 *   per-address one
 */
export function userCodeLimitsOption(values: OptionValues<typeof SIGN_IN_LIMIT_OPTIONS>): UserCodeLimits {
  const d = DEFAULT_USER_CODE_LIMITS;
  const { inner: perBrowser, outer: perAddress } = nestedLimits(
    values,
    { name: 'device-code-failures-per-browser', fallback: d.perBrowser.failures },
    { name: 'device-code-failures-per-address', fallback: d.perAddress.failures },
  );
  const windowSeconds = failureWindowSeconds(values);
  return {
    perBrowser: { failures: perBrowser, windowSeconds },
    perAddress: { failures: perAddress, windowSeconds },
  };
}

/**
 * Two limits where every failure counts for both, the inner (a person, a browser) within the outer (an
 * address): each an integer option, the inner's default lowered to the outer given.
 *
 * @throws {ConfigError} naming an option that is not an integer in range, or an inner limit above the outer one
 *   (the outer counter would then stop first, and the inner limit never)
 */
function nestedLimits(
  values: Readonly<Record<string, string | undefined>>,
  inner: { name: string; fallback: number },
  outer: { name: string; fallback: number },
): { inner: number; outer: number } {
  const outerLimit = integerOption(values[outer.name], `--${outer.name}`, outer.fallback, 1, MAX_FAILURES);
  const innerLimit = integerOption(
    values[inner.name],
    `--${inner.name}`,
    Math.min(inner.fallback, outerLimit),
    1,
    MAX_FAILURES,
  );
  if (innerLimit > outerLimit) {
    throw new ConfigError(
      `--${inner.name}`,
      `must not be above --${outer.name} (${outerLimit}): each failure counts for both`,
    );
  }
  return { inner: innerLimit, outer: outerLimit };
}

/** `--sign-in-failure-window` in whole seconds: how long every failure counts. */
function failureWindowSeconds(values: OptionValues<typeof SIGN_IN_LIMIT_OPTIONS>): number {
  const windowMs = durationOption(
    values['sign-in-failure-window'],
    '--sign-in-failure-window',
    DEFAULT_SIGN_IN_LIMITS.perPerson.windowSeconds * 1000,
    1000,
    24 * 3_600_000,
  );
  return Math.ceil(windowMs / 1000);
}

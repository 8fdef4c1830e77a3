import { isIPv4, isIPv6 } from 'node:net';
import type { RuntimeState } from '../state/runtime-state.ts';
import type { SignInFailureRecord } from './records.ts';

/**
 * Throttling of failed sign-ins (issue 12, attack protection): per person (Connection + username or subject)
 * against guessing one person's password, and per source address against trying many people. Failures live in
 * `sign_in_failure` records, so every replica counts the same ones. A throttled attempt is answered before its
 * password is checked, so guessing goes no faster by ignoring the answer.
 */

/** At most `failures` failed sign-ins within `windowSeconds`. */
export interface SignInLimit {
  failures: number;
  windowSeconds: number;
}

/** The limits of {@link PeopleDeps.signInLimits}. */
export interface SignInLimits {
  perPerson: SignInLimit;
  perAddress: SignInLimit;
}

/**
 * Five tries per person in 15 minutes (NIST SP 800-63B §5.2.2 allows up to 100 before a lockout; five
 * slows online guessing to ~500 a day without locking anyone out for long), and twenty per address (a shared
 * office address gets a few people's typos).
 */
export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perPerson: { failures: 5, windowSeconds: 15 * 60 },
  perAddress: { failures: 20, windowSeconds: 15 * 60 },
};

/** `browser`: a browser's wrong device codes (src/people/device/user-code-throttle.ts). */
export type ThrottleScope = 'person' | 'address' | 'browser';

/** One counter that a sign-in attempt is checked against and, when it fails, adds to. */
export interface ThrottleCounter {
  scope: ThrottleScope;
  /** The `sign_in_failure` record's key. */
  key: string;
  limit: SignInLimit;
}

/** The counters of an attempt: the address always, the person when the attempt names one. */
export function throttleCounters(
  limits: SignInLimits,
  address: string,
  person?: { connection: string; name: string },
): ThrottleCounter[] {
  const counters: ThrottleCounter[] = [
    { scope: 'address', key: `address:${addressBucket(address)}`, limit: limits.perAddress },
  ];
  if (person !== undefined) {
    // Names are compared as typed: `Alice` and `alice` are one person to most upstreams and to people.
    const key = `person:${person.connection}\0${person.name.toLowerCase()}`;
    counters.push({ scope: 'person', key, limit: limits.perPerson });
  }
  return counters;
}

/**
 * The source a per-address counter counts: an IPv4 address (also when written IPv4-mapped, `::ffff:a.b.c.d`), or
 * the /64 of an IPv6 address, since one subscriber is routed a whole /64 (RFC 6177 §3) and could otherwise
 * try from 2^64 addresses.
 */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null && isIPv4(mapped[1] as string)) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const prefix = groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
  return `${prefix.join(':')}::/64`;
}

/** The failures still inside the window, oldest first. */
export function recentFailures(failures: readonly number[], nowMs: number, limit: SignInLimit): number[] {
  const since = nowMs - limit.windowSeconds * 1000;
  return failures.filter((t) => t > since && t <= nowMs);
}

/**
 * When an attempt may be made again, or undefined when it may be made now: at the limit, once the oldest
 * failure that counts leaves the window.
 */
export function retryAtMs(
  failures: readonly number[],
  nowMs: number,
  limit: SignInLimit,
): number | undefined {
  const recent = recentFailures(failures, nowMs, limit);
  if (limit.failures <= 0 || recent.length < limit.failures) return undefined;
  const oldestCounted = recent[recent.length - limit.failures] as number;
  return oldestCounted + limit.windowSeconds * 1000;
}

/** The failures after one more at `nowMs`: the recent ones, at most the limit (records.ts keeps them bounded). */
export function withFailure(failures: readonly number[], nowMs: number, limit: SignInLimit): number[] {
  return [...recentFailures(failures, nowMs, limit), nowMs].slice(-Math.max(limit.failures, 1));
}

/** A counter at its limit, with when the attempt may be made again. */
export interface Throttled {
  scope: ThrottleScope;
  retryAtMs: number;
}

/** The first counter at its limit (the one that frees last when several are), or undefined. */
export async function checkThrottle(
  state: RuntimeState,
  counters: readonly ThrottleCounter[],
  nowMs: number,
): Promise<Throttled | undefined> {
  let throttled: Throttled | undefined;
  for (const counter of counters) {
    const stored = await state.get<SignInFailureRecord>('sign_in_failure', counter.key, nowMs);
    const at = retryAtMs(stored?.value.failures ?? [], nowMs, counter.limit);
    if (at !== undefined && (throttled === undefined || at > throttled.retryAtMs)) {
      throttled = { scope: counter.scope, retryAtMs: at };
    }
  }
  return throttled;
}

/** Adds a failure at `nowMs` to every counter (insert, or compareAndSwap retried against other replicas). */
export async function recordFailure(
  state: RuntimeState,
  counters: readonly ThrottleCounter[],
  nowMs: number,
): Promise<void> {
  for (const counter of counters) await addFailure(state, counter, nowMs);
}

async function addFailure(state: RuntimeState, counter: ThrottleCounter, nowMs: number): Promise<void> {
  const expiresAtMs = nowMs + counter.limit.windowSeconds * 1000;
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await state.get<SignInFailureRecord>('sign_in_failure', counter.key, nowMs);
    const value: SignInFailureRecord = {
      failures: withFailure(stored?.value.failures ?? [], nowMs, counter.limit),
    };
    if (stored === undefined) {
      if ((await state.insert('sign_in_failure', counter.key, { value, expiresAtMs }, nowMs)) === 'created')
        return;
    } else {
      const next = { value, expiresAtMs };
      if (
        (await state.compareAndSwap('sign_in_failure', counter.key, stored.version, next, nowMs)) !==
        undefined
      ) {
        return;
      }
    }
  }
  // Five lost races in a row means others are recording failures on this key right now: it is being counted.
}

/** Forgets a person's failures after they sign in, so their earlier typos do not count against them later. */
export async function clearFailures(
  state: RuntimeState,
  counters: readonly ThrottleCounter[],
  nowMs: number,
): Promise<void> {
  for (const counter of counters) {
    if (counter.scope === 'person') await state.consume('sign_in_failure', counter.key, nowMs);
  }
}

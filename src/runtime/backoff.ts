/**
 * Jittered exponential backoff, shared by the informer's reconnects and the work queue's retries.
 *
 * The jitter only shortens a delay (it never exceeds the cap), so replicas that failed together spread out
 * instead of retrying in lockstep against an API server that is just coming back.
 */
export interface BackoffOptions {
  /** Delay of the first retry (attempt 0), in milliseconds. */
  initialMs: number;
  /** Upper bound of any delay, in milliseconds. */
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Fraction in [0, 1] by which a delay may be shortened at random (default 0.5: a delay lies in (d/2, d]). */
  jitter?: number;
}

/**
 * The delay before retry number `attempt` (0-based): `min(maxMs, initialMs * factor^attempt)`, shortened by up
 * to `jitter` of itself using `random()` (a number in [0, 1), like Math.random).
 *
 * @example backoffDelay(3, { initialMs: 200, maxMs: 30_000 }, () => 0) // 1600
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  // factor ** attempt overflows to Infinity for huge attempts; Math.min then yields the cap as intended.
  const ceiling = Math.min(options.maxMs, options.initialMs * factor ** Math.max(0, attempt));
  return ceiling * (1 - jitter * random());
}

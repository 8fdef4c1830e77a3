/**
 * Timer functions as a dependency, so tests can drive time by hand. The handle is opaque: whatever
 * `setTimeout` returns is what `clearTimeout` receives.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Resolves after `ms` unless `signal` aborts first, in which case it resolves at once and clears its timer:
 * callers check the signal afterwards, and nothing is left scheduled after shutdown.
 */
export function sleep(ms: number, signal: AbortSignal, timers: Timers = systemTimers): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    const onAbort = () => {
      timers.clearTimeout(handle);
      done();
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

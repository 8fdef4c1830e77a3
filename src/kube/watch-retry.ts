/**
 * How an informer retries after a list or watch failed: the pure decisions, apart from the loop that acts on
 * them (informer.ts).
 */
import { backoffDelay, type BackoffOptions } from '../runtime/backoff.ts';
import { KubeApiError, type KubeStatus } from './types.ts';

const MAX_REASON = 300;

class GoneError extends Error {}

/** Failed attempts and 410s in a row; a watch that delivers anything proves things work again. */
export interface RetryCounts {
  failures: number;
  gones: number;
}

/** What the informer does after a list or watch failed. */
export interface Retry {
  /** Whether the next attempt lists before it watches. */
  relist: boolean;
  /** The `reason` of the `watch.reconnected` event. */
  reason: string;
  /** How long to wait before the next attempt, in milliseconds. */
  delay: number;
  counts: RetryCounts;
}

/**
 * The retry after `error` ended an attempt; `listing` says the attempt still had to list. Only 410 Gone
 * during a watch leads to a new list; any other error keeps what the attempt was going to do.
 */
export function retryAfterError(
  error: unknown,
  listing: boolean,
  counts: RetryCounts,
  backoff: BackoffOptions,
  random: () => number,
): Retry {
  if (isGone(error) && !listing) {
    // The server no longer has our resourceVersion: only a new list can tell what we missed. At once
    // the first time; a server that answers 410 again right after a list gets backoff, not a hot loop.
    const delay = counts.gones === 0 ? 0 : backoffDelay(counts.gones - 1, backoff, random);
    return { relist: true, reason: 'gone', delay, counts: { ...counts, gones: counts.gones + 1 } };
  }
  const delay = backoffDelay(counts.failures, backoff, random);
  return {
    relist: listing,
    reason: describe(error),
    delay,
    counts: { ...counts, failures: counts.failures + 1 },
  };
}

/** The retry after a watch closed within a second without an event: backoff, and no new list. */
export function retryAfterClose(counts: RetryCounts, backoff: BackoffOptions, random: () => number): Retry {
  const delay = backoffDelay(counts.failures, backoff, random);
  return { relist: false, reason: 'closed', delay, counts: { ...counts, failures: counts.failures + 1 } };
}

function isGone(error: unknown): boolean {
  return error instanceof GoneError || (error instanceof KubeApiError && error.status === 410);
}

/** The error an ERROR event of a watch stands for: 410 is Gone, anything else a KubeApiError. */
export function watchErrorOf(status: KubeStatus): Error {
  if (status.code === 410) return new GoneError(status.message ?? 'Gone');
  return new KubeApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? '');
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

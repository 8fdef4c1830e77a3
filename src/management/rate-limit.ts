import type { OptionDef, OptionValues } from '../option-table.ts';
import { integerOption } from '../options.ts';

/** Requests one caller may make per window on one replica, by default. */
export const DEFAULT_MANAGEMENT_RATE_LIMIT = 300;
const WINDOW_MS = 60_000;
/** Callers remembered at most; past it, windows that ended are dropped first, then the oldest. */
const MAX_CALLERS = 100_000;

export const MANAGEMENT_RATE_LIMIT_OPTION = {
  name: 'management-rate-limit',
  type: 'string',
  value: 'N',
  default: String(DEFAULT_MANAGEMENT_RATE_LIMIT),
  description: 'management API requests one client may make per minute on each replica; past it, 429',
} as const satisfies OptionDef;

/** Reads `--management-rate-limit`. @throws {ConfigError} unless a whole number from 1 to 1,000,000 */
export function managementRateLimitOption(
  values: OptionValues<readonly [typeof MANAGEMENT_RATE_LIMIT_OPTION]>,
): number {
  return integerOption(
    values['management-rate-limit'],
    '--management-rate-limit',
    DEFAULT_MANAGEMENT_RATE_LIMIT,
    1,
    1_000_000,
  );
}

/** One caller's fixed window: when it began and how many requests it has taken. */
export interface RateWindow {
  startMs: number;
  count: number;
}

/** What a request gets: whether it may go on, and the `x-ratelimit-*` values it answers with. */
export interface RateDecision {
  allowed: boolean;
  window: RateWindow;
  limit: number;
  remaining: number;
  /** When the window ends, in whole seconds since the epoch (`x-ratelimit-reset`). */
  resetS: number;
  /** Seconds from now until the window ends, at least 1 (`retry-after` of a refusal). */
  retryAfterS: number;
}

/** The decision for one more request in `window` (a new window when none, or when it ended). Pure. */
export function decideRate(
  window: RateWindow | undefined,
  nowMs: number,
  limit: number,
  windowMs = WINDOW_MS,
): RateDecision {
  const current =
    window === undefined || nowMs >= window.startMs + windowMs ? { startMs: nowMs, count: 0 } : window;
  const allowed = current.count < limit;
  const next = allowed ? { startMs: current.startMs, count: current.count + 1 } : current;
  return {
    allowed,
    window: next,
    limit,
    remaining: limit - next.count,
    resetS: Math.ceil((current.startMs + windowMs) / 1000),
    retryAfterS: Math.max(1, Math.ceil((current.startMs + windowMs - nowMs) / 1000)),
  };
}

/** Each caller's window on this replica, bounded by {@link MAX_CALLERS}. */
export class CallerRateLimiter {
  readonly #windows = new Map<string, RateWindow>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  take(caller: string, nowMs: number): RateDecision {
    const decision = decideRate(this.#windows.get(caller), nowMs, this.#limit);
    this.#windows.delete(caller);
    if (this.#windows.size >= MAX_CALLERS) this.#evict(nowMs);
    this.#windows.set(caller, decision.window);
    return decision;
  }

  /** Drops ended windows; when none had ended, the least recently used one (map order). */
  #evict(nowMs: number): void {
    for (const [caller, w] of this.#windows) if (nowMs >= w.startMs + WINDOW_MS) this.#windows.delete(caller);
    if (this.#windows.size >= MAX_CALLERS) this.#windows.delete(this.#windows.keys().next().value as string);
  }
}

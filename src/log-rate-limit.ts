import type { Clock } from './clock.ts';

/** A token bucket: up to `burst` lines at once, then `perMinute` lines a minute. */
export interface RateLimit {
  readonly burst: number;
  readonly perMinute: number;
}

/**
 * How many refusal lines are written. A caller decides how many requests fail, so one line per request
 * would let anyone fill the log (and the disk or the log pipeline's budget) with lines of their choosing.
 * Per key (endpoint, error and client): the first five at once, then one every 12 s; a person retrying a
 * request sees every answer, a CronJob failing every second shows once in 12 s with a count. In total: at
 * most 100 a minute, since the keys of clients that do not exist all share one key but known client ids can
 * be guessed (they are `<name>.<namespace>`).
 */
export const REFUSAL_LINES_PER_KEY: RateLimit = Object.freeze({ burst: 5, perMinute: 5 });
export const REFUSAL_LINES_TOTAL: RateLimit = Object.freeze({ burst: 50, perMinute: 100 });

/** Keys remembered at most; the least recently used is forgotten (with its count) past that. */
export const MAX_LIMITED_KEYS = 4096;

interface Bucket {
  tokens: number;
  atMs: number;
  /** Lines left out since the last line written for this key. */
  suppressed: number;
}

export interface LogRateLimitOptions {
  now: Clock;
  perKey?: RateLimit;
  total?: RateLimit;
  maxKeys?: number;
}

/**
 * Decides which of many similar log lines are written, and counts the others so the next line written for
 * the same key can say how many were left out (as the Linux kernel's printk_ratelimit says "N callbacks
 * suppressed"). The metrics count every refusal; this only keeps the log readable.
 *
 * @example
 * const limit = new LogRateLimit({ now: systemClock });
 * const suppressed = limit.admit('token invalid_scope billing-worker.billing');
 * if (suppressed !== undefined) log(line, suppressed);
 */
export class LogRateLimit {
  readonly #now: Clock;
  readonly #perKey: RateLimit;
  readonly #total: RateLimit;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #all: Bucket;

  constructor(options: LogRateLimitOptions) {
    this.#now = options.now;
    this.#perKey = options.perKey ?? REFUSAL_LINES_PER_KEY;
    this.#total = options.total ?? REFUSAL_LINES_TOTAL;
    this.#maxKeys = options.maxKeys ?? MAX_LIMITED_KEYS;
    this.#all = { tokens: this.#total.burst, atMs: this.#now(), suppressed: 0 };
  }

  /**
   * Whether a line for `key` is written now: undefined when it is left out (and counted), else how many
   * lines of this key were left out since the last one written.
   */
  admit(key: string): number | undefined {
    const nowMs = this.#now();
    const bucket = this.#bucket(key, nowMs);
    refill(bucket, this.#perKey, nowMs);
    refill(this.#all, this.#total, nowMs);
    if (bucket.tokens < 1 || this.#all.tokens < 1) {
      bucket.suppressed += 1;
      return undefined;
    }
    bucket.tokens -= 1;
    this.#all.tokens -= 1;
    const suppressed = bucket.suppressed;
    bucket.suppressed = 0;
    return suppressed;
  }

  /** How many keys are remembered; for tests of the bound. */
  get size(): number {
    return this.#buckets.size;
  }

  #bucket(key: string, nowMs: number): Bucket {
    const found = this.#buckets.get(key);
    // Deleted and set again, so the Map's order is least recently used first.
    if (found !== undefined) this.#buckets.delete(key);
    else if (this.#buckets.size >= this.#maxKeys) {
      this.#buckets.delete(this.#buckets.keys().next().value as string);
    }
    const bucket = found ?? { tokens: this.#perKey.burst, atMs: nowMs, suppressed: 0 };
    this.#buckets.set(key, bucket);
    return bucket;
  }
}

function refill(bucket: Bucket, limit: RateLimit, nowMs: number): void {
  // A clock that steps back adds nothing rather than taking away.
  const elapsed = Math.max(0, nowMs - bucket.atMs);
  bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsed * limit.perMinute) / 60_000);
  bucket.atMs = Math.max(bucket.atMs, nowMs);
}

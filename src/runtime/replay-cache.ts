/**
 * Remembers one-time identifiers (a client assertion's `jti`, RFC 7523 §3 item 7) until they expire, so each
 * is accepted once. In memory and per replica: an assertion replayed to another replica within its lifetime
 * is accepted there once more. Assertions live at most a few minutes, which bounds that window; a cache shared
 * across replicas belongs behind this same interface (design: runtime state, "shared across replicas later").
 */
export interface ReplayCache {
  /**
   * Records `key` until `expiresAtMs`. Returns `'fresh'` when it was not held, `'replayed'` when it is held and
   * not yet expired, `'full'` when the cache holds its maximum of unexpired entries and cannot remember more.
   */
  remember(key: string, expiresAtMs: number, nowMs: number): 'fresh' | 'replayed' | 'full';
}

/** Default bound: unexpired entries only come from verified assertions, so this is hundreds per second. */
export const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * A {@link ReplayCache} in a Map. Expired entries are swept when the cache fills up, and only when at least
 * one of them has expired, so a full cache of live entries costs O(1) per refusal rather than a scan.
 * When full it refuses new identifiers instead of forgetting live ones: forgetting would reopen replays.
 *
 * @example
 * const cache = new MemoryReplayCache();
 * cache.remember('client-a jti-1', now + 60_000, now); // 'fresh'
 * cache.remember('client-a jti-1', now + 60_000, now); // 'replayed'
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;
  /** No entry expires before this; a sweep earlier would free nothing. */
  #earliestExpiry = Infinity;

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  remember(key: string, expiresAtMs: number, nowMs: number): 'fresh' | 'replayed' | 'full' {
    const held = this.#entries.get(key);
    if (held !== undefined && held > nowMs) return 'replayed';
    if (held === undefined && this.#entries.size >= this.#maxEntries) {
      if (this.#earliestExpiry > nowMs) return 'full';
      this.#sweep(nowMs);
      if (this.#entries.size >= this.#maxEntries) return 'full';
    }
    this.#entries.set(key, expiresAtMs);
    if (expiresAtMs < this.#earliestExpiry) this.#earliestExpiry = expiresAtMs;
    return 'fresh';
  }

  #sweep(nowMs: number): void {
    let earliest = Infinity;
    for (const [key, expiresAt] of this.#entries) {
      if (expiresAt <= nowMs) this.#entries.delete(key);
      else if (expiresAt < earliest) earliest = expiresAt;
    }
    this.#earliestExpiry = earliest;
  }
}

import type { Clock } from '../clock.ts';
import type { RevocationStore } from './revocation-store.ts';

/**
 * Default bound on remembered revocations. The list is bounded by nature: a client may revoke only tokens
 * issued to itself, each once, and an entry goes when its token expires (24h at most, 5m by default), so it
 * holds at most the revocations of one token lifetime. The cap is the safety net against a client that
 * mints and revokes in a loop; 100 000 entries take about 16 MB of heap.
 */
export const DEFAULT_MAX_REVOCATIONS = 100_000;

export interface MemoryRevocationStoreOptions {
  /** Drops expired entries by this clock; `isRevoked` uses the time it is given. */
  now: Clock;
  /** At most this many entries; default {@link DEFAULT_MAX_REVOCATIONS}. */
  maxEntries?: number;
  /**
   * Called when the cap drops a revocation whose token has not expired yet: that token is active again at
   * introspection until `expiresAtMs`. Metrics count these; any at all means the cap is too small.
   */
  onEvict?: (evicted: { expiresAtMs: number; nowMs: number }) => void;
}

interface Entry {
  jti: string;
  expiresAtMs: number;
}

/**
 * Revocations of this replica, in memory (see {@link RevocationStore} for what that does not cover).
 *
 * Entries are dropped once their token has expired. When the cap is reached, the entry whose token expires
 * first is dropped, possibly the new one: of all the policies that keep the list bounded, this one lets the
 * fewest revoked tokens back in, for the shortest time. Refusing the revocation instead would tell a client
 * that did nothing wrong about a server limit (RFC 7009 has no error for it, and bad input never gets a 5xx).
 *
 * @example
 * const revocations = new MemoryRevocationStore({ now: systemClock });
 * revocations.revoke(claims.jti, claims.exp * 1000);
 * revocations.isRevoked(claims.jti, Date.now()); // true until exp
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #now: Clock;
  readonly #max: number;
  readonly #onEvict: MemoryRevocationStoreOptions['onEvict'];
  /** `jti` → `exp` in milliseconds. */
  readonly #byJti = new Map<string, number>();
  /** The same entries as a binary min-heap on `expiresAtMs`, so the next to expire is always at the top. */
  readonly #heap: Entry[] = [];

  constructor(options: MemoryRevocationStoreOptions) {
    const max = options.maxEntries ?? DEFAULT_MAX_REVOCATIONS;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
    }
    this.#now = options.now;
    this.#max = max;
    this.#onEvict = options.onEvict;
  }

  /** `nowMs` and `owner` are not used: this store drops by its own clock and has one cap for all clients. */
  revoke(jti: string, expiresAtMs: number, _nowMs?: number, _owner?: string): boolean {
    const nowMs = this.#now();
    this.#dropExpired(nowMs);
    if (!(expiresAtMs > nowMs) || this.#byJti.has(jti)) return false;
    if (this.#byJti.size >= this.#max) {
      const first = this.#heap[0] as Entry;
      if (expiresAtMs <= first.expiresAtMs) {
        this.#onEvict?.({ expiresAtMs, nowMs });
        return true;
      }
      this.#pop();
      this.#onEvict?.({ expiresAtMs: first.expiresAtMs, nowMs });
    }
    this.#byJti.set(jti, expiresAtMs);
    this.#push({ jti, expiresAtMs });
    return true;
  }

  isRevoked(jti: string, nowMs: number): boolean {
    const expiresAtMs = this.#byJti.get(jti);
    return expiresAtMs !== undefined && nowMs < expiresAtMs;
  }

  size(): number {
    this.#dropExpired(this.#now());
    return this.#byJti.size;
  }

  #dropExpired(nowMs: number): void {
    while (this.#heap.length > 0 && (this.#heap[0] as Entry).expiresAtMs <= nowMs) this.#pop();
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Entry).expiresAtMs <= entry.expiresAtMs) break;
      heap[i] = heap[parent] as Entry;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const top = heap[0] as Entry;
    this.#byJti.delete(top.jti);
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && (heap[right] as Entry).expiresAtMs < (heap[left] as Entry).expiresAtMs
          ? right
          : left;
      if ((heap[child] as Entry).expiresAtMs >= last.expiresAtMs) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = last;
  }
}

/**
 * Remembers one-time identifiers (a client assertion's `jti`, RFC 7523 §3 item 7) until they expire, so each
 * is accepted once. The contract every backend keeps (this in-memory one per replica, and a store shared by
 * replicas later), so that no tenant can use up what another needs (issue 9, item 1):
 * - Identifiers are partitioned by client id; each client has a share of its own, a bound on its unexpired
 *   entries. `'full'` is answered only to a client whose own share is full, never because of another
 *   client's entries, and the cost of a call does not grow with other clients' traffic.
 * - An entry is kept until its expiry and never forgotten earlier: forgetting would reopen a replay. The
 *   caller bounds how far ahead an expiry may be (an assertion's accepted lifetime, at most an hour, plus
 *   clock skew), so a full share frees itself within that time.
 * - A shared backend checks "held?", "share full?" and inserts in one atomic step per client (for example a
 *   row per client id and `jti` with its expiry, and a count of the client's unexpired rows taken in the same
 *   transaction), so replicas never accept an identifier twice nor let a share grow past its bound.
 *
 * In memory an assertion replayed to another replica within its lifetime is accepted there once more.
 */
export interface ReplayCache {
  /**
   * Records `jti` of `clientId` until `expiresAtMs`. Returns `'fresh'` when it was not held, `'replayed'`
   * when it is held and not yet expired, `'full'` when this client's share holds its maximum of unexpired
   * entries and cannot remember more.
   */
  remember(clientId: string, jti: string, expiresAtMs: number, nowMs: number): ReplayVerdict;
}

export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/**
 * Default share of one client: unexpired entries come only from its verified assertions, so this is a
 * sustained 83 assertions a second with 60-second assertions (held 120 s with the clock skew), 23 a second
 * with 5-minute ones, and 2.7 a second with 1-hour ones. A client that gets a token and reuses it for the
 * token's lifetime needs a handful.
 */
export const DEFAULT_PER_CLIENT_LIMIT = 10_000;

/** How often the shares of clients that stopped sending are looked at, to drop the ones fully expired. */
export const PARTITION_SWEEP_INTERVAL_MS = 60_000;

export interface MemoryReplayCacheOptions {
  /** The share of each client; default {@link DEFAULT_PER_CLIENT_LIMIT}. */
  perClientLimit?: number;
}

/** One client's share: its identifiers with their expiry. */
interface Partition {
  entries: Map<string, number>;
  /** No entry expires before this; a sweep earlier would free nothing. */
  earliestExpiry: number;
  /** Every entry has expired from this time on; the partition can go then. */
  latestExpiry: number;
}

/**
 * A {@link ReplayCache} in a Map of partitions, one per client. A client's expired entries are swept when
 * its share fills up, and only when at least one of them has expired, so a full share of live entries costs
 * O(1) per refusal rather than a scan. Partitions whose entries have all expired are dropped at most every
 * {@link PARTITION_SWEEP_INTERVAL_MS}, in one pass over the partitions (not their entries). Memory is at
 * most the share times the clients that authenticated with an assertion within the longest lifetime.
 *
 * @example
 * const cache = new MemoryReplayCache();
 * cache.remember('client-a', 'jti-1', now + 60_000, now); // 'fresh'
 * cache.remember('client-a', 'jti-1', now + 60_000, now); // 'replayed'
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #partitions = new Map<string, Partition>();
  readonly #perClientLimit: number;
  #nextPartitionSweep = -Infinity;

  constructor(options: MemoryReplayCacheOptions = {}) {
    const limit = options.perClientLimit ?? DEFAULT_PER_CLIENT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`perClientLimit must be a positive integer, got ${limit}`);
    }
    this.#perClientLimit = limit;
  }

  /** Entries held, over all clients. */
  get size(): number {
    let total = 0;
    for (const p of this.#partitions.values()) total += p.entries.size;
    return total;
  }

  /** Clients with a partition. */
  get clients(): number {
    return this.#partitions.size;
  }

  remember(clientId: string, jti: string, expiresAtMs: number, nowMs: number): ReplayVerdict {
    this.#dropExpiredPartitions(nowMs);
    let partition = this.#partitions.get(clientId);
    if (partition === undefined) {
      partition = { entries: new Map(), earliestExpiry: Infinity, latestExpiry: -Infinity };
      this.#partitions.set(clientId, partition);
    }
    const { entries } = partition;
    const held = entries.get(jti);
    if (held !== undefined && held > nowMs) return 'replayed';
    if (held === undefined && entries.size >= this.#perClientLimit) {
      if (partition.earliestExpiry > nowMs) return 'full';
      sweep(partition, nowMs);
      if (entries.size >= this.#perClientLimit) return 'full';
    }
    entries.set(jti, expiresAtMs);
    partition.earliestExpiry = Math.min(partition.earliestExpiry, expiresAtMs);
    partition.latestExpiry = Math.max(partition.latestExpiry, expiresAtMs);
    return 'fresh';
  }

  #dropExpiredPartitions(nowMs: number): void {
    if (nowMs < this.#nextPartitionSweep) return;
    this.#nextPartitionSweep = nowMs + PARTITION_SWEEP_INTERVAL_MS;
    for (const [clientId, p] of this.#partitions) {
      if (p.latestExpiry <= nowMs) this.#partitions.delete(clientId);
    }
  }
}

function sweep(partition: Partition, nowMs: number): void {
  let earliest = Infinity;
  for (const [jti, expiresAt] of partition.entries) {
    if (expiresAt <= nowMs) partition.entries.delete(jti);
    else if (expiresAt < earliest) earliest = expiresAt;
  }
  partition.earliestExpiry = earliest;
}

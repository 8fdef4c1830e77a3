import { createHash } from 'node:crypto';
import {
  DEFAULT_REPLAY_LIMITS,
  replayRefusal,
  type ReplayBound,
  type ReplayLimits,
} from './replay-admission.ts';

/** Whose identifier: a client id is unique, and its namespace is where its tenant's fair share is counted. */
export interface ReplayOwner {
  clientId: string;
  namespace: string;
}

/**
 * Remembers one-time identifiers (a client assertion's `jti`, RFC 7523 §3 item 7) until they expire, so each
 * is accepted once. The contract every backend keeps (this in-memory one per replica, and a store shared by
 * replicas later), so that no tenant can use up what another needs (issue 9, item 1) and memory is bounded:
 * - Identifiers are partitioned by client id, and clients grouped by namespace. A fresh identifier is
 *   admitted or refused by {@link replayRefusal} on the counts of unexpired entries: a global capacity, a
 *   per-client ceiling, max-min fair shares per namespace then per client once the capacity is reached, and
 *   a hard ceiling of 1.25 × capacity. A namespace below its fair share is refused only at the hard ceiling.
 * - An entry is kept until its expiry and never forgotten earlier: forgetting would reopen a replay. The
 *   caller bounds how far ahead an expiry may be (an assertion's accepted lifetime, at most an hour, plus
 *   clock skew), so a full cache frees itself within that time.
 * - A shared backend checks "held?", reads the counts and inserts in one atomic step (for example a row per
 *   client id and `jti` with its expiry, and counters per client, namespace and in total updated in the same
 *   transaction), so replicas never accept an identifier twice nor let a count pass its bound.
 *
 * In memory an assertion replayed to another replica within its lifetime is accepted there once more; the
 * runtime state (state-replay-cache.ts) is shared by replicas and bounds each client instead.
 */
export interface ReplayCache {
  /**
   * Records `jti` of `owner` until `expiresAtMs`. Returns `'fresh'` when it was not held, `'replayed'` when
   * it is held and not yet expired, or the {@link ReplayBound} that keeps it from remembering more now.
   */
  remember(
    owner: ReplayOwner,
    jti: string,
    expiresAtMs: number,
    nowMs: number,
  ): ReplayVerdict | Promise<ReplayVerdict>;
}

export type ReplayVerdict = 'fresh' | 'replayed' | ReplayBound;

/** How often the shares of clients that stopped sending are looked at, to drop the ones fully expired. */
export const PARTITION_SWEEP_INTERVAL_MS = 60_000;

/** At capacity, the expired entries of every client are swept at most this often. */
export const GLOBAL_SWEEP_INTERVAL_MS = 1000;

/** A `jti` longer than this is kept as its SHA-256 digest (43 base64url characters and a `#`). */
const LONGEST_KEPT_JTI = 43;

/** One client's share: its identifiers with their expiry. */
interface Partition {
  entries: Map<string, number>;
  /** No entry expires before this; a sweep earlier would free nothing. */
  earliestExpiry: number;
  /** Every entry has expired from this time on; the partition can go then. */
  latestExpiry: number;
}

interface NamespaceGroup {
  clients: Map<string, Partition>;
  /** Entries of all its clients. */
  size: number;
}

/**
 * A {@link ReplayCache} in Maps: namespaces, their clients, each client's identifiers. A client's expired
 * entries are swept when it is refused and one of them has expired, so refusing a client full of live
 * entries costs O(1) rather than a scan. At capacity, when something has expired, every client with an
 * expired entry is swept, at most every {@link GLOBAL_SWEEP_INTERVAL_MS}. Partitions whose entries have all
 * expired are dropped at most every {@link PARTITION_SWEEP_INTERVAL_MS}, in one pass over the partitions.
 * Memory is bounded by the hard ceiling (see {@link ReplayLimits} for bytes per entry).
 *
 * @example
 * const cache = new MemoryReplayCache();
 * cache.remember(client, 'jti-1', now + 60_000, now); // 'fresh'
 * cache.remember(client, 'jti-1', now + 60_000, now); // 'replayed'
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #namespaces = new Map<string, NamespaceGroup>();
  readonly #limits: ReplayLimits;
  #size = 0;
  /** No entry expires before this (a lower bound: per-client sweeps do not raise it). */
  #earliestExpiry = Infinity;
  #nextPartitionSweep = -Infinity;
  #nextGlobalSweep = -Infinity;

  constructor(limits: Partial<ReplayLimits> = {}) {
    const capacity = limits.capacity ?? DEFAULT_REPLAY_LIMITS.capacity;
    const perClientCeiling =
      limits.perClientCeiling ?? Math.min(DEFAULT_REPLAY_LIMITS.perClientCeiling, capacity);
    for (const [name, value] of Object.entries({ capacity, perClientCeiling })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a positive integer, got ${value}`);
      }
    }
    if (perClientCeiling > capacity) {
      throw new RangeError(
        `perClientCeiling (${perClientCeiling}) must not be more than capacity (${capacity})`,
      );
    }
    this.#limits = { capacity, perClientCeiling };
  }

  /** Entries held, over all clients. */
  get size(): number {
    return this.#size;
  }

  /** Clients with a partition. */
  get clients(): number {
    let n = 0;
    for (const group of this.#namespaces.values()) n += group.clients.size;
    return n;
  }

  remember(owner: ReplayOwner, jti: string, expiresAtMs: number, nowMs: number): ReplayVerdict {
    this.#dropExpiredPartitions(nowMs);
    if (this.#size >= this.#limits.capacity) this.#sweepAll(nowMs);
    const key =
      jti.length > LONGEST_KEPT_JTI ? `#${createHash('sha256').update(jti).digest('base64url')}` : jti;
    const group = this.#namespaces.get(owner.namespace);
    const partition = group?.clients.get(owner.clientId);
    const held = partition?.entries.get(key);
    if (held !== undefined && held > nowMs) return 'replayed';
    if (held === undefined) {
      let refusal = this.#refusal(group, partition);
      if (refusal !== undefined && partition !== undefined && partition.earliestExpiry <= nowMs) {
        this.#sweep(group!, partition, nowMs);
        refusal = this.#refusal(group, partition);
      }
      if (refusal !== undefined) return refusal;
    }
    this.#insert(owner, key, expiresAtMs, held === undefined);
    return 'fresh';
  }

  #refusal(group: NamespaceGroup | undefined, partition: Partition | undefined): ReplayBound | undefined {
    return replayRefusal(
      {
        total: this.#size,
        namespaces: this.#namespaces.size + (group === undefined ? 1 : 0),
        namespace: group?.size ?? 0,
        clientsInNamespace: (group?.clients.size ?? 0) + (partition === undefined ? 1 : 0),
        client: partition?.entries.size ?? 0,
      },
      this.#limits,
    );
  }

  #insert(owner: ReplayOwner, key: string, expiresAtMs: number, added: boolean): void {
    let group = this.#namespaces.get(owner.namespace);
    if (group === undefined) {
      group = { clients: new Map(), size: 0 };
      this.#namespaces.set(owner.namespace, group);
    }
    let partition = group.clients.get(owner.clientId);
    if (partition === undefined) {
      partition = { entries: new Map(), earliestExpiry: Infinity, latestExpiry: -Infinity };
      group.clients.set(owner.clientId, partition);
    }
    partition.entries.set(key, expiresAtMs);
    partition.earliestExpiry = Math.min(partition.earliestExpiry, expiresAtMs);
    partition.latestExpiry = Math.max(partition.latestExpiry, expiresAtMs);
    this.#earliestExpiry = Math.min(this.#earliestExpiry, expiresAtMs);
    if (added) {
      group.size += 1;
      this.#size += 1;
    }
  }

  /** Drops the expired entries of one client, keeping the counts of its namespace and the total. */
  #sweep(group: NamespaceGroup, partition: Partition, nowMs: number): void {
    let earliest = Infinity;
    let removed = 0;
    for (const [key, expiresAt] of partition.entries) {
      if (expiresAt <= nowMs) {
        partition.entries.delete(key);
        removed += 1;
      } else if (expiresAt < earliest) earliest = expiresAt;
    }
    partition.earliestExpiry = earliest;
    group.size -= removed;
    this.#size -= removed;
  }

  /** At capacity: sweeps every client that has an expired entry, at most once per interval. */
  #sweepAll(nowMs: number): void {
    if (this.#earliestExpiry > nowMs || nowMs < this.#nextGlobalSweep) return;
    this.#nextGlobalSweep = nowMs + GLOBAL_SWEEP_INTERVAL_MS;
    let earliest = Infinity;
    for (const [namespace, group] of this.#namespaces) {
      for (const [clientId, partition] of group.clients) {
        if (partition.earliestExpiry <= nowMs) this.#sweep(group, partition, nowMs);
        if (partition.entries.size === 0) group.clients.delete(clientId);
        else earliest = Math.min(earliest, partition.earliestExpiry);
      }
      if (group.clients.size === 0) this.#namespaces.delete(namespace);
    }
    this.#earliestExpiry = earliest;
  }

  #dropExpiredPartitions(nowMs: number): void {
    if (nowMs < this.#nextPartitionSweep) return;
    this.#nextPartitionSweep = nowMs + PARTITION_SWEEP_INTERVAL_MS;
    for (const [namespace, group] of this.#namespaces) {
      for (const [clientId, partition] of group.clients) {
        if (partition.latestExpiry > nowMs) continue;
        group.clients.delete(clientId);
        group.size -= partition.entries.size;
        this.#size -= partition.entries.size;
      }
      if (group.clients.size === 0) this.#namespaces.delete(namespace);
    }
  }
}

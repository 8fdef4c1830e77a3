import { ConfigError } from '../config-error.ts';
import { integerOption } from '../options.ts';
import type { OptionDef, OptionValues } from '../option-table.ts';

/**
 * How many unexpired assertion identifiers the replay cache holds (issue 9, item 1). A `jti` of typical
 * length (22 to 36 characters, as base64url of 16 random bytes or a UUID) costs about 85 to 100 bytes of
 * heap in a replica's memory, one of the longest accepted (256 characters) about 110 once it is kept as a
 * digest (measured with `node --expose-gc`: a Map of a million `jti` strings taken from `JSON.parse`, and
 * their expiry). So the default capacity of a million is about 100 MB, and the hard ceiling, 1.25 million,
 * about 125 MB.
 */
export interface ReplayLimits {
  /**
   * Below this many entries every fresh `jti` is accepted (up to {@link perClientCeiling}); at it, only
   * namespaces and clients below their fair share may add.
   */
  capacity: number;
  /** No client ever holds more, so one client alone never fills the cache. At most `capacity`. */
  perClientCeiling: number;
}

/**
 * A million entries: a sustained 8,300 assertions a second of 60-second assertions (held 120 s with the
 * clock skew), 2,400 a second of 5-minute ones. One client may hold a quarter of it: 2,000 a second of
 * 60-second assertions, more than one replica verifies.
 */
export const DEFAULT_REPLAY_LIMITS: ReplayLimits = Object.freeze({
  capacity: 1_000_000,
  perClientCeiling: 250_000,
});

/** Past capacity × this, every fresh `jti` is refused: the bound on memory. See {@link replayRefusal}. */
export const HARD_CEILING_RATIO = 1.25;

/** How far past its share a namespace may go at capacity, for its clients below their own part of it. */
export const NAMESPACE_OVERSHOOT_RATIO = 1.1;

/** Which bound refused a fresh `jti`. */
export type ReplayBound = 'client-ceiling' | 'client-share' | 'namespace-share' | 'hard-ceiling';

/** What the cache holds, as seen by the client asking to add one entry. */
export interface ReplayLoad {
  /** Entries over all clients. */
  total: number;
  /** Namespaces holding entries, the asking client's counted even when it holds none yet. */
  namespaces: number;
  /** Entries of the asking client's namespace. */
  namespace: number;
  /** Clients of that namespace holding entries, the asking one counted even when it holds none yet. */
  clientsInNamespace: number;
  /** Entries of the asking client. */
  client: number;
}

/** The entry count past which nothing is added: {@link HARD_CEILING_RATIO} × capacity. */
export function hardCeiling(limits: ReplayLimits): number {
  return Math.floor(limits.capacity * HARD_CEILING_RATIO);
}

/**
 * Whether a client may add a fresh `jti`, with max-min fairness between namespaces, then between the clients
 * of a namespace; `undefined` when it may, else the bound that refuses it. With C the capacity, K the
 * namespaces holding entries and k the clients of the asking namespace holding entries:
 *
 * 1. A client holding `perClientCeiling` entries is refused (`client-ceiling`).
 * 2. Below C everything else is accepted.
 * 3. At 1.25 × C (the hard ceiling) everything is refused (`hard-ceiling`).
 * 4. A namespace below its share, ⌊C / K⌋, is accepted.
 * 5. A namespace at 1.1 × its share is refused (`namespace-share`).
 * 6. Between the two, a client at its part of the namespace's share, share / k, is refused (`client-share`);
 *    a lighter one is accepted, so one client of a team does not lock out its teammates.
 *
 * A tenant may create clients, not namespaces: its many clients split its namespace's share and never shrink
 * another namespace's. Why the hard ceiling is rarely reached: past C, a namespace adds only while below
 * 1.1 × ⌊C / K⌋ (rules 4 to 6), so K namespaces that were each within that when the cache filled end with
 * at most K × 1.1 × ⌊C / K⌋ ≤ 1.1 × C entries. The total passes 1.1 × C only with entries a namespace got
 * before the cache filled or before the other namespaces arrived; such a namespace adds nothing more, and
 * its entries expire within the longest hold (an hour's assertion plus twice the clock skew). A namespace
 * alone can bring the total to 1.1 × C at most, so one that comes later still finds 0.15 × C of room at
 * once (150,000 entries by default), and its whole share as the early one's entries expire.
 *
 * @example
 * replayRefusal({ total: 1000, namespaces: 2, namespace: 3, clientsInNamespace: 1, client: 3 }, { capacity: 1000, perClientCeiling: 400 }); // undefined
 */
export function replayRefusal(load: ReplayLoad, limits: ReplayLimits): ReplayBound | undefined {
  if (load.client >= limits.perClientCeiling) return 'client-ceiling';
  if (load.total < limits.capacity) return undefined;
  if (load.total >= hardCeiling(limits)) return 'hard-ceiling';
  const share = Math.floor(limits.capacity / load.namespaces);
  if (load.namespace < share) return undefined;
  if (load.namespace >= Math.floor(share * NAMESPACE_OVERSHOOT_RATIO)) return 'namespace-share';
  if (load.client >= share / load.clientsInNamespace) return 'client-share';
  return undefined;
}

/** `--replay-capacity` bounds one replica's memory: it applies to the in-memory cache (`--state memory`) only. */
export const REPLAY_CAPACITY_OPTION = {
  name: 'replay-capacity',
  type: 'string',
  value: 'N',
  default: String(DEFAULT_REPLAY_LIMITS.capacity),
  description:
    'with --state=memory: unexpired client assertion ids remembered against replay (about 100 bytes each); past it each namespace and client gets a fair share, and at 1.25 times it everything is refused',
} as const satisfies OptionDef;

export const REPLAY_PER_CLIENT_OPTION = {
  name: 'replay-per-client',
  type: 'string',
  value: 'N',
  default: String(DEFAULT_REPLAY_LIMITS.perClientCeiling),
  description: 'unexpired assertion ids one client may hold',
} as const satisfies OptionDef;

/** The command-line options that set {@link ReplayLimits}. */
export const REPLAY_LIMIT_OPTIONS = [REPLAY_CAPACITY_OPTION, REPLAY_PER_CLIENT_OPTION] as const;

/**
 * Reads {@link REPLAY_LIMIT_OPTIONS}; an absent option keeps its default (the per-client ceiling at most the
 * capacity given).
 *
 * @throws {ConfigError} naming the option that is not an integer in range, or a per-client ceiling above
 *   the capacity
 */
export function replayLimitsOption(values: OptionValues<typeof REPLAY_LIMIT_OPTIONS>): ReplayLimits {
  const capacity = integerOption(
    values['replay-capacity'],
    '--replay-capacity',
    DEFAULT_REPLAY_LIMITS.capacity,
    100,
    100_000_000,
  );
  const perClientCeiling = integerOption(
    values['replay-per-client'],
    '--replay-per-client',
    Math.min(DEFAULT_REPLAY_LIMITS.perClientCeiling, capacity),
    1,
    100_000_000,
  );
  if (perClientCeiling > capacity) {
    throw new ConfigError(
      '--replay-per-client',
      `must not be more than --replay-capacity (${capacity}): one client would fill the cache`,
    );
  }
  return { capacity, perClientCeiling };
}

/**
 * Reads `--replay-per-client` alone, for dev mode: its assertion ids are kept in the state folder, so no
 * capacity bounds them and `--replay-capacity` is not one of its options.
 */
export function replayPerClientOption(
  values: OptionValues<readonly [typeof REPLAY_PER_CLIENT_OPTION]>,
): ReplayLimits {
  const perClientCeiling = integerOption(
    values['replay-per-client'],
    '--replay-per-client',
    DEFAULT_REPLAY_LIMITS.perClientCeiling,
    1,
    100_000_000,
  );
  return { capacity: Math.max(DEFAULT_REPLAY_LIMITS.capacity, perClientCeiling), perClientCeiling };
}

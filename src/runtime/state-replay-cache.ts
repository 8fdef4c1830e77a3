import type { RuntimeState } from '../state/runtime-state.ts';
import { DEFAULT_REPLAY_LIMITS } from './replay-admission.ts';
import type { ReplayCache, ReplayOwner, ReplayVerdict } from './replay-cache.ts';

/**
 * The replay cache on runtime state (issue 11): every replica sharing the state refuses a `jti` that any of
 * them accepted. One `insert` per assertion, keyed by client id and `jti` (RFC 7523 §3 item 7: a `jti` is
 * unique per issuer, and a client is the issuer of its assertions), so two clients never collide.
 *
 * How the in-memory fairness maps onto a shared store: the per-client ceiling stays, counted rather than
 * checked per insert ({@link ownerCheck}): each replica counts a client's unexpired ids at most every
 * {@link OWNER_COUNT_EVERY} fresh ids of its own (and below half the ceiling at most once a second), adds
 * what it inserted since, and refuses at the ceiling
 * (recounting at most every {@link RECOUNT_FULL_AFTER_MS} while refusing, so a client whose ids expire gets
 * room back). Near its ceiling a client can pass it by what other replicas inserted since this one counted:
 * at most OWNER_COUNT_EVERY per replica, plus requests in flight, against a default ceiling of 250,000. Checking the
 * ceiling atomically on every insert (`ownerLimit`) would count every id the client holds per request: a busy
 * client with 100,000 ids in its window would pay that on each token. The global capacity and the max-min
 * fair shares between namespaces do not carry over: they bound a replica's memory, and a database's disk is
 * sized by its operator, grows by ~280 bytes per row (docs/runtime-state.md) and is emptied by the cleaner as
 * assertions expire. Without the global capacity no tenant can crowd out another; the per-client ceiling
 * keeps one client from filling the table.
 *
 * A backend that cannot answer rejects with StateUnavailableError: the assertion is neither accepted nor
 * refused as a replay, and the endpoint answers `temporarily_unavailable` (fail closed).
 */
/** Every this many fresh `jti`s of one client, its held count is read again; see {@link StateReplayCache}. */
export const OWNER_COUNT_EVERY = 256;

/** While a client is refused at its ceiling, its held count is read again at most this often. */
export const RECOUNT_FULL_AFTER_MS = 1000;

export interface OwnerCount {
  /** What the last count found. */
  lastHeld: number;
  /** Fresh ids this replica added since. */
  since: number;
  /** When it was counted. */
  countedAtMs: number;
}

/** Below half its ceiling, a client is counted at most this often, however many ids it sends. */
export const RECOUNT_BELOW_HALF_AFTER_MS = 1000;

/**
 * Whether to count the client's ids first, refuse it at its ceiling, or insert with the primary key alone.
 * A count reads every id the client holds, so it is rationed: after {@link OWNER_COUNT_EVERY} fresh ids of
 * this replica, and below half the ceiling no more than once every {@link RECOUNT_BELOW_HALF_AFTER_MS} (to
 * pass the ceiling between two such counts a client would need half of it in a second: 125,000 ids a second
 * by default).
 */
export function ownerCheck(client: OwnerCount, ceiling: number, nowMs: number): 'count' | 'full' | 'insert' {
  const held = client.lastHeld + client.since;
  const sinceCount = nowMs - client.countedAtMs;
  if (held >= ceiling) return sinceCount >= RECOUNT_FULL_AFTER_MS ? 'count' : 'full';
  if (client.since < OWNER_COUNT_EVERY) return 'insert';
  return held >= ceiling / 2 || sinceCount >= RECOUNT_BELOW_HALF_AFTER_MS ? 'count' : 'insert';
}

export class StateReplayCache implements ReplayCache {
  readonly #state: RuntimeState;
  readonly #perClientCeiling: number;
  readonly #clients = new Map<string, OwnerCount>();

  constructor(state: RuntimeState, perClientCeiling = DEFAULT_REPLAY_LIMITS.perClientCeiling) {
    if (!Number.isInteger(perClientCeiling) || perClientCeiling < 1) {
      throw new RangeError(`perClientCeiling must be a positive integer, got ${perClientCeiling}`);
    }
    this.#state = state;
    this.#perClientCeiling = perClientCeiling;
  }

  async remember(
    owner: ReplayOwner,
    jti: string,
    expiresAtMs: number,
    nowMs: number,
  ): Promise<ReplayVerdict> {
    const { clientId } = owner;
    let client = this.#clients.get(clientId);
    // A client seen first is counted at once: another replica may have filled its share.
    if (client === undefined) {
      client = { lastHeld: 0, since: OWNER_COUNT_EVERY, countedAtMs: -Infinity };
      this.#clients.set(clientId, client);
    }
    let check = ownerCheck(client, this.#perClientCeiling, nowMs);
    if (check === 'count') {
      client.lastHeld = await this.#state.countByOwner('assertion_jti', clientId, nowMs);
      client.since = 0;
      client.countedAtMs = nowMs;
      check = ownerCheck(client, this.#perClientCeiling, nowMs);
    }
    if (check === 'full') return 'client-ceiling';
    const result = await this.#state.insert(
      'assertion_jti',
      replayKey(clientId, jti),
      { value: null, owner: clientId, expiresAtMs },
      nowMs,
    );
    if (result !== 'created') return 'replayed';
    client.since += 1;
    return 'fresh';
  }
}

/** The key of one client's `jti`: a JSON pair, so no client id and `jti` can be spliced into another's. */
export function replayKey(clientId: string, jti: string): string {
  return JSON.stringify([clientId, jti]);
}

import type { RuntimeState } from '../state/runtime-state.ts';
import { DEFAULT_REPLAY_LIMITS } from './replay-admission.ts';
import type { ReplayCache, ReplayOwner, ReplayVerdict } from './replay-cache.ts';

/**
 * The replay cache on runtime state (issue 11): every replica sharing the state refuses a `jti` that any of
 * them accepted. One `insert` per assertion, keyed by client id and `jti` (RFC 7523 §3 item 7: a `jti` is
 * unique per issuer, and a client is the issuer of its assertions), so two clients never collide.
 *
 * How the in-memory fairness maps onto a shared store: the per-client ceiling stays, as the insert's
 * `ownerLimit` with the client id as owner, checked and inserted atomically across replicas once a client
 * holds half of it ({@link ownerCheck}; below that a client may pass half its ceiling by at most
 * {@link OWNER_COUNT_EVERY} ids per replica before it is counted again). The global
 * capacity and the max-min fair shares between namespaces do not: they bound a replica's memory, and a
 * database's disk is sized by its operator, grows by ~150 bytes per row (docs/runtime-state.md) and is
 * emptied by the cleaner as assertions expire. Without the global capacity no tenant can crowd out
 * another; the per-client ceiling keeps one client from filling the table.
 *
 * A backend that cannot answer rejects with StateUnavailableError: the assertion is neither accepted nor
 * refused as a replay, and the endpoint answers `temporarily_unavailable` (fail closed).
 */
/**
 * Every this many fresh `jti`s of one client, its held count is read again; see {@link StateReplayCache}.
 */
export const OWNER_COUNT_EVERY = 256;

/**
 * Whether the next insert of a client checks its ceiling atomically (`ownerLimit`), and whether to count its
 * records first. Counting costs one index range of what the client holds, so a client is counted every
 * {@link OWNER_COUNT_EVERY} fresh ids of this replica; below half its ceiling (the last count plus what this
 * replica added since) it is inserted with the primary key alone (O(log n)), from there on exactly.
 */
export function ownerCheck(
  client: { lastHeld: number; since: number },
  ceiling: number,
): 'exact' | 'count' | 'none' {
  if (client.since >= OWNER_COUNT_EVERY) return 'count';
  return client.lastHeld + client.since >= ceiling / 2 ? 'exact' : 'none';
}

export class StateReplayCache implements ReplayCache {
  readonly #state: RuntimeState;
  readonly #perClientCeiling: number;
  /** Per client: what its last count found and the fresh ids this replica added since. */
  readonly #clients = new Map<string, { lastHeld: number; since: number }>();

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
    if (client === undefined)
      this.#clients.set(clientId, (client = { lastHeld: 0, since: OWNER_COUNT_EVERY }));
    if (ownerCheck(client, this.#perClientCeiling) === 'count') {
      client.lastHeld = await this.#state.countByOwner('assertion_jti', clientId, nowMs);
      client.since = 0;
    }
    const check = ownerCheck(client, this.#perClientCeiling);
    const result = await this.#state.insert(
      'assertion_jti',
      replayKey(clientId, jti),
      { value: null, owner: clientId, expiresAtMs },
      nowMs,
      check === 'exact' ? { ownerLimit: this.#perClientCeiling } : {},
    );
    if (result === 'created') {
      client.since += 1;
      return 'fresh';
    }
    return result === 'exists' ? 'replayed' : 'client-ceiling';
  }
}

/** The key of one client's `jti`: a JSON pair, so no client id and `jti` can be spliced into another's. */
export function replayKey(clientId: string, jti: string): string {
  return JSON.stringify([clientId, jti]);
}

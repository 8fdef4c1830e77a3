import type { RuntimeState } from '../state/runtime-state.ts';
import { DEFAULT_REPLAY_LIMITS } from './replay-admission.ts';
import type { ReplayCache, ReplayOwner, ReplayVerdict } from './replay-cache.ts';

/**
 * The replay cache on runtime state (issue 11): every replica sharing the state refuses a `jti` that any of
 * them accepted. One `insert` per assertion, keyed by client id and `jti` (RFC 7523 §3 item 7: a `jti` is
 * unique per issuer, and a client is the issuer of its assertions), so two clients never collide.
 *
 * How the in-memory fairness maps onto a shared store: the per-client ceiling stays, as the insert's
 * `ownerLimit` with the client id as owner, checked and inserted atomically across replicas. The global
 * capacity and the max-min fair shares between namespaces do not: they bound a replica's memory, and a
 * database's disk is sized by its operator, grows by ~150 bytes per row (docs/runtime-state.md) and is
 * emptied by the cleaner as assertions expire. Without the global capacity no tenant can crowd out
 * another; the per-client ceiling keeps one client from filling the table.
 *
 * A backend that cannot answer rejects with StateUnavailableError: the assertion is neither accepted nor
 * refused as a replay, and the endpoint answers `temporarily_unavailable` (fail closed).
 */
export class StateReplayCache implements ReplayCache {
  readonly #state: RuntimeState;
  readonly #perClientCeiling: number;

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
    const result = await this.#state.insert(
      'assertion_jti',
      replayKey(owner.clientId, jti),
      { value: null, owner: owner.clientId, expiresAtMs },
      nowMs,
      { ownerLimit: this.#perClientCeiling },
    );
    if (result === 'created') return 'fresh';
    return result === 'exists' ? 'replayed' : 'client-ceiling';
  }
}

/** The key of one client's `jti`: a JSON pair, so no client id and `jti` can be spliced into another's. */
export function replayKey(clientId: string, jti: string): string {
  return JSON.stringify([clientId, jti]);
}

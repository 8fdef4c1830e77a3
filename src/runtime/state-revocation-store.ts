import type { RuntimeState } from '../state/runtime-state.ts';
import { RevocationLimitReached, type RevocationStore } from './revocation-store.ts';

/**
 * At most this many unexpired revocations per client. A client may revoke only tokens issued to itself, and
 * a revocation lasts until its token expires (24 h at most, 5 min by default), so only a client that mints
 * and revokes in a loop comes near it. The in-memory list had one cap of 100,000 for all clients.
 */
export const DEFAULT_REVOCATIONS_PER_CLIENT = 100_000;

/**
 * Revoked tokens on runtime state (issue 11): a revocation through any replica holds at every replica's
 * introspection, and across restarts. One row per revoked token, keyed by its `jti`, owned by its client,
 * expiring with the token. Each call is one round trip; a backend that cannot answer rejects with
 * StateUnavailableError (introspection then answers `temporarily_unavailable`, never `active: true`).
 */
export class StateRevocationStore implements RevocationStore {
  readonly #state: RuntimeState;
  readonly #perClient: number;

  constructor(state: RuntimeState, perClient = DEFAULT_REVOCATIONS_PER_CLIENT) {
    this.#state = state;
    this.#perClient = perClient;
  }

  async revoke(jti: string, expiresAtMs: number, nowMs: number, owner: string): Promise<boolean> {
    if (!(expiresAtMs > nowMs)) return false;
    const result = await this.#state.insert(
      'revoked_token',
      jti,
      { value: null, owner, expiresAtMs },
      nowMs,
      { ownerLimit: this.#perClient },
    );
    if (result === 'full') throw new RevocationLimitReached(owner, this.#perClient);
    return result === 'created';
  }

  async isRevoked(jti: string, nowMs: number): Promise<boolean> {
    return (await this.#state.get('revoked_token', jti, nowMs)) !== undefined;
  }
}

/**
 * Where revoked access tokens are remembered (RFC 7009) until they expire. Introspection (RFC 7662) asks it
 * on every call, so {@link RevocationStore.isRevoked} must answer from memory without I/O.
 *
 * Only the in-memory implementation exists today, so a revocation holds on the replica that received it and
 * is lost on restart; the other replicas keep answering `active: true` until the token expires. Sharing this
 * state across replicas is roadmap item 4 of the design; an implementation for that keeps this interface and
 * must still answer `isRevoked` without a round trip per call (e.g. a local replica of the list).
 */
export interface RevocationStore {
  /**
   * Remembers that the token `jti` is revoked. `expiresAtMs` is the token's `exp` in milliseconds: after it
   * the token is refused anyway, so the entry may be dropped. A `jti` names one token, whose `exp` never
   * changes, so revoking it again changes nothing.
   */
  revoke(jti: string, expiresAtMs: number): void;
  /** Whether `jti` was revoked and its token has not expired at `nowMs`. */
  isRevoked(jti: string, nowMs: number): boolean;
  /** How many revoked tokens are remembered (for metrics). */
  size(): number;
}

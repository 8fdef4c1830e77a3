/**
 * Where revoked access tokens are remembered (RFC 7009) until they expire; introspection (RFC 7662) asks it on
 * every call. Two implementations: in memory, seen by one replica and lost on restart
 * (memory-revocation-store.ts, `--state memory`), and on runtime state, shared by the replicas and kept
 * across restarts (state-revocation-store.ts, issue 11). The state one answers asynchronously and may reject
 * with StateUnavailableError, which the endpoints turn into `temporarily_unavailable` (fail closed: a token
 * whose revocation cannot be checked is never reported active).
 */
export interface RevocationStore {
  /**
   * Remembers that the token `jti`, issued to `owner` (its `client_id`), is revoked. `expiresAtMs` is the
   * token's `exp` in milliseconds: after it the token is refused anyway, so the entry may be dropped. A `jti`
   * names one token, whose `exp` never changes, so revoking it again changes nothing. Resolves with false
   * when it was revoked already.
   *
   * @throws {RevocationLimitReached} when `owner` holds as many unexpired revocations as one client may
   */
  revoke(jti: string, expiresAtMs: number, nowMs: number, owner: string): boolean | Promise<boolean>;
  /** Whether `jti` was revoked and its token has not expired at `nowMs`. */
  isRevoked(jti: string, nowMs: number): boolean | Promise<boolean>;
  /** How many revoked tokens are remembered, for metrics; absent when the runtime state reports it. */
  size?(): number;
}

/**
 * A client holds as many unexpired revocations as one client may: it minted and revoked tokens in a loop. The
 * refusal frees itself as those tokens expire; the endpoint answers `temporarily_unavailable`.
 */
export class RevocationLimitReached extends Error {
  readonly code = 'REVOCATION_LIMIT_REACHED';
  constructor(owner: string, limit: number) {
    super(`client '${owner}' holds ${limit} unexpired revocations, as many as one client may`);
    this.name = 'RevocationLimitReached';
  }
}

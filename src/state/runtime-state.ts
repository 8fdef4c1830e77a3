/**
 * Runtime state: what the server writes while serving (assertion `jti`s, revoked tokens, and with people
 * authorization codes, refresh-token families, device codes, sessions), shared by every replica. Configuration
 * never lives here (it is custom resources compiled into snapshots), and runtime state never lives in custom
 * resources (design.md, "Runtime state"; issue 11).
 *
 * One interface, two backends that pass one conformance suite (test/state/conformance.ts): embedded (SQLite in
 * the state folder, `node:sqlite`) and PostgreSQL (shared by replicas).
 *
 * The contract every backend keeps:
 * - Records are grouped by {@link RecordKind}; a record is found by its kind and key. Keys are credentials or
 *   name one (a code, a refresh token, a `jti`), so a backend stores only `sha256(kind NUL key)`: a dump of
 *   the store gives nobody a usable token. Values must not hold credentials either: callers store digests.
 * - Every record has an expiry. An expired record is absent for every operation, whether or not it has been
 *   deleted yet; {@link RuntimeState.deleteExpired} removes them in bounded batches through an index.
 * - Operations on one key are atomic across replicas: `insert` creates at most once, `consume` hands a record
 *   to at most one caller, `compareAndSwap` succeeds for at most one caller per version.
 * - When the backend cannot answer (down, timed out, pool exhausted) an operation rejects with
 *   {@link StateUnavailableError}, which the server turns into `temporarily_unavailable` (503, `Retry-After`).
 *   Never a hang: every backend bounds every operation in time.
 */

/** The kinds of records. Adding one adds a line here and nothing to the schema (one table, see backends). */
export const RECORD_KINDS = [
  'assertion_jti',
  'revoked_token',
  // People sign-in (issue 12): value shapes in src/people/records.ts.
  'authorization_request',
  'authorization_code',
  'refresh_token',
  'session',
  'user',
  'identity',
  'upstream_login',
  'sign_in_failure',
  'pending_link',
  // The device grant (RFC 8628, issue 13): src/people/device/.
  'device_authorization',
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** What a caller stores. */
export interface RecordInput<T> {
  value: T;
  /** Who the record belongs to (a client id, a user id, a refresh-token family): for listing and deleting. */
  owner?: string;
  /** Milliseconds since the epoch; the record is absent from this time on. */
  expiresAtMs: number;
}

/** What a caller reads back. */
export interface StoredRecord<T> {
  value: T;
  owner: string | undefined;
  expiresAtMs: number;
  /** Starts at 1 and grows by one with each successful {@link RuntimeState.compareAndSwap}. */
  version: number;
}

export type InsertResult = 'created' | 'exists' | 'full';

/** The record {@link RuntimeState.rotate} creates: of the swapped record's kind unless `kind` says otherwise. */
export interface Successor<S> {
  kind?: RecordKind;
  key: string;
  record: RecordInput<S>;
}

export interface InsertOptions {
  /**
   * Refuse (`'full'`) when the owner already holds this many unexpired records of the kind. Checked and
   * inserted in one atomic step, so replicas cannot together push an owner past it.
   */
  ownerLimit?: number;
}

export interface RuntimeState {
  /** Which backend this is, for logs and metrics: `embedded` or `postgres`. */
  readonly backend: string;
  /** Creates the record unless an unexpired record with this key exists (`'exists'`, nothing changes). */
  insert<T>(
    kind: RecordKind,
    key: string,
    record: RecordInput<T>,
    nowMs: number,
    options?: InsertOptions,
  ): Promise<InsertResult>;
  /** The unexpired record, or undefined. */
  get<T>(kind: RecordKind, key: string, nowMs: number): Promise<StoredRecord<T> | undefined>;
  /** Removes the unexpired record and returns it; of concurrent callers at most one gets it. */
  consume<T>(kind: RecordKind, key: string, nowMs: number): Promise<StoredRecord<T> | undefined>;
  /**
   * Replaces the unexpired record if its version is still `expectedVersion` (refresh-token rotation).
   * Returns the new version, or undefined when the record is absent, expired or was changed meanwhile.
   */
  compareAndSwap<T>(
    kind: RecordKind,
    key: string,
    expectedVersion: number,
    next: RecordInput<T>,
    nowMs: number,
  ): Promise<number | undefined>;
  /**
   * {@link compareAndSwap} of `key`, and, only when the swap happens, the creation of `successor` (of `kind`
   * unless it names its own), as one atomic step. Refresh-token rotation (RFC 9700 §4.14.2): a token is never
   * marked rotated without its successor stored, which two calls would leave after a crash or an outage between
   * them (the person's sign-in would end once the reuse grace passed). A code's redemption and the refresh token
   * it starts, likewise. Returns the swapped record's new version, or undefined, writing nothing, when the
   * record is absent, expired or was changed meanwhile.
   *
   * @throws {Error} when any record, even an expired one, holds the successor's key; nothing is written (keys
   *   are 256 random bits, so this means the randomness is broken)
   */
  rotate<T, S = T>(
    kind: RecordKind,
    key: string,
    expectedVersion: number,
    next: RecordInput<T>,
    successor: Successor<S>,
    nowMs: number,
  ): Promise<number | undefined>;
  /** The owner's unexpired records of the kind, soonest expiry first, at most `limit`. */
  listByOwner<T>(kind: RecordKind, owner: string, nowMs: number, limit: number): Promise<StoredRecord<T>[]>;
  /** How many unexpired records of the kind the owner holds. */
  countByOwner(kind: RecordKind, owner: string, nowMs: number): Promise<number>;
  /** Deletes every record of the kind the owner holds (a refresh-token family on reuse); returns how many. */
  deleteByOwner(kind: RecordKind, owner: string): Promise<number>;
  /**
   * Deletes at most `batch` records that expired at or before `nowMs` (`expiresAtMs <= nowMs`: absent for every
   * other operation), oldest first, through the expiry index (never a full scan, never a long lock). Returns how
   * many it deleted per kind; a kind with none deleted may be missing from the map.
   */
  deleteExpired(nowMs: number, batch: number): Promise<Map<RecordKind, number>>;
  /**
   * Runs `run` only if this replica is the one cleaning now (PostgreSQL: a try-advisory-lock held for the run),
   * and resolves with whether it ran. Absent: the backend has one process (embedded), which always cleans.
   * Used by src/state/cleaner.ts so one replica at a time deletes expired records.
   */
  tryLeadCleaning?(run: () => Promise<void>): Promise<boolean>;
  /** Records held per kind, expired or not (for metrics; may be an estimate on a large table). */
  counts(): Promise<Map<RecordKind, number>>;
  /** Resolves when the backend answers; rejects with {@link StateUnavailableError} otherwise (readiness). */
  ping(): Promise<void>;
  /** Closes connections and files; pending operations settle first. */
  close(): Promise<void>;
}

/** The backend could not answer in time. The message is for logs; it never reaches a response body. */
export class StateUnavailableError extends Error {
  readonly code = 'STATE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateUnavailableError';
  }
}

/** The schema in the database is newer than this build knows: refuse to start rather than corrupt it. */
export class StateSchemaTooNewError extends Error {
  readonly code = 'STATE_SCHEMA_TOO_NEW';
  constructor(found: number, known: number) {
    super(
      `the runtime state schema is at version ${found}, newer than the ${known} this Latchkey knows: ` +
        'a newer Latchkey migrated it; run that version (or newer), or restore a backup taken before the upgrade',
    );
    this.name = 'StateSchemaTooNewError';
  }
}

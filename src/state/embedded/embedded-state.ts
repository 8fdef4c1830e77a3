import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { systemClock, type Clock } from '../../clock.ts';
import { keyDigest } from '../key-digest.ts';
import { TurnBatch } from '../turn-batch.ts';
import {
  RECORD_KINDS,
  StateUnavailableError,
  type InsertOptions,
  type InsertResult,
  type RecordInput,
  type RecordKind,
  type RuntimeState,
  type StoredRecord,
  type Successor,
} from '../runtime-state.ts';
import { migrate } from './schema.ts';
import { SQL } from './statements.ts';

/**
 * The embedded backend: SQLite through Node's built-in `node:sqlite`, one file in the state folder (or
 * `:memory:` for an operator without one). The default, for dev mode and a single replica (issue 11).
 *
 * Why `node:sqlite` and not PGlite (PostgreSQL compiled to WebAssembly, the same dialect as the server backend):
 * idle RSS is a tracked figure. Measured on Node 24.21 (`process.memoryUsage().rss` before and after, three runs
 * each): `node:sqlite` adds 2.2–2.4 MiB to open a file and insert a row, 4.1–4.2 MiB with this schema, its
 * pragmas and an 8 MiB page cache, in 9–12 ms; PGlite 0.6.1 adds 365–455 MiB on a new folder (its initdb
 * takes 2.4–3.2 s) and 335 MiB reopening an existing one (0.5 s). Against node-oidc-provider's ~108 MiB for all
 * of dev mode, only SQLite fits. The cost is a second SQL dialect, kept small: one table, a dozen statements
 * (./statements.ts), one conformance suite.
 *
 * SQLite runs each statement synchronously; the interface stays async so both backends look alike. Within one
 * process that makes every operation atomic; across processes sharing the file, each operation is one statement
 * or one `BEGIN IMMEDIATE` transaction, and a lock held longer than the busy timeout answers
 * StateUnavailableError rather than hanging. Being synchronous, a statement holds the event loop: deleting an
 * expired row costs ~25 µs (a random page of the key-digest index), so the cleaner's batch of 1,000 holds it for
 * ~25 ms, and it pauses between batches (test/state/embedded-cleaning.test.ts).
 */
export interface EmbeddedStateOptions {
  /** A file path, or `:memory:`. */
  path: string;
  /** How long to wait for another process's lock on the file before StateUnavailableError. */
  busyTimeoutMs?: number;
  /** Pages given back to the file system per {@link EmbeddedState.deleteExpired} call at most. */
  vacuumPagesPerBatch?: number;
  /** SQLite's page cache at most, in MiB; it fills only as pages are read (default 8). */
  cacheMiB?: number;
  /** Stamps the migrations recorded at open. */
  clock?: Clock;
}

/** The file the embedded backend keeps in a state folder (dev mode's, or the operator's). */
export const EMBEDDED_STATE_FILE = 'runtime-state.sqlite';

export function embeddedStatePath(stateDir: string): string {
  return join(stateDir, EMBEDDED_STATE_FILE);
}

/** Opens (creating and migrating when needed) the embedded state. Throws StateSchemaTooNewError, see migrate. */
export async function openEmbeddedState(options: EmbeddedStateOptions): Promise<EmbeddedState> {
  const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 2000 });
  try {
    db.exec(`PRAGMA cache_size = -${Math.round((options.cacheMiB ?? 8) * 1024)}`);
    migrate(db, (options.clock ?? systemClock)());
  } catch (error) {
    db.close();
    throw error;
  }
  return new EmbeddedState(db, options);
}

type Row = Record<string, SQLOutputValue>;
/** kind, key digest, owner, JSON value, expiry, now: SQL.upsert's parameters. */
type UpsertRow = [RecordKind, Buffer, string | null, string, number, number];

// SQLite result codes that mean "cannot answer now" rather than a bug: BUSY, LOCKED, NOMEM, IOERR, FULL,
// CANTOPEN (https://sqlite.org/rescode.html).
const UNAVAILABLE_CODES = new Set([5, 6, 7, 10, 13, 14]);

export class EmbeddedState implements RuntimeState {
  readonly backend = 'embedded';
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #vacuumPages: number;
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;

  constructor(db: DatabaseSync, options: EmbeddedStateOptions) {
    this.#db = db;
    this.path = options.path;
    this.#vacuumPages = options.vacuumPagesPerBatch ?? 2048;
  }

  async insert<T>(
    kind: RecordKind,
    key: string,
    record: RecordInput<T>,
    nowMs: number,
    options: InsertOptions = {},
  ): Promise<InsertResult> {
    const row: UpsertRow = [
      kind,
      keyDigest(kind, key),
      record.owner ?? null,
      toJson(record.value),
      record.expiresAtMs,
      nowMs,
    ];
    if (options.ownerLimit === undefined || record.owner === undefined) return this.#inserts.add(row);
    const [, digest, owner] = row;
    return this.#run(() =>
      this.#transaction(() => {
        if (this.#stmt(SQL.get).get(kind, digest, nowMs) !== undefined) return 'exists';
        const held = this.#stmt(SQL.countByOwner).get(kind, owner, nowMs)!;
        if (Number(held.n) >= options.ownerLimit!) return 'full';
        this.#stmt(SQL.upsert).run(...row);
        return 'created';
      }),
    );
  }

  /**
   * Inserts without an owner limit that arrive in one turn, in one transaction: each commit appends to the WAL
   * with a write(2) that holds the event loop (~50 µs of CPU, 150–250 µs on a busy machine), once per turn
   * instead of once per private_key_jwt token. In order, so a repeated key finds the first.
   */
  readonly #inserts = new TurnBatch<UpsertRow, InsertResult>(
    (rows) =>
      this.#run(() =>
        this.#transaction(() =>
          rows.map((row) => (this.#stmt(SQL.upsert).run(...row).changes === 1 ? 'created' : 'exists')),
        ),
      ),
    100,
  );

  async get<T>(kind: RecordKind, key: string, nowMs: number): Promise<StoredRecord<T> | undefined> {
    return this.#run(() => toRecord<T>(this.#stmt(SQL.get).get(kind, keyDigest(kind, key), nowMs)));
  }

  async consume<T>(kind: RecordKind, key: string, nowMs: number): Promise<StoredRecord<T> | undefined> {
    return this.#run(() => toRecord<T>(this.#stmt(SQL.consume).get(kind, keyDigest(kind, key), nowMs)));
  }

  async compareAndSwap<T>(
    kind: RecordKind,
    key: string,
    expectedVersion: number,
    next: RecordInput<T>,
    nowMs: number,
  ): Promise<number | undefined> {
    return this.#run(() => this.#swap(kind, key, expectedVersion, next, nowMs));
  }

  async rotate<T, S = T>(
    kind: RecordKind,
    key: string,
    expectedVersion: number,
    next: RecordInput<T>,
    successor: Successor<S>,
    nowMs: number,
  ): Promise<number | undefined> {
    const { record } = successor;
    const successorKind = successor.kind ?? kind;
    const outcome = await this.#rotations.add(() => {
      const version = this.#swap(kind, key, expectedVersion, next, nowMs);
      if (version === undefined) return undefined;
      this.#stmt(SQL.insertNew).run(
        successorKind,
        keyDigest(successorKind, successor.key),
        record.owner ?? null,
        toJson(record.value),
        record.expiresAtMs,
      );
      return version;
    });
    if ('error' in outcome) throw stateError(outcome.error);
    return outcome.ok;
  }

  /**
   * Rotations that arrive in one turn, in one transaction and so one WAL commit (a person's every refresh and
   * every code exchange that starts a family ends with one), each in its own savepoint: the swap and the successor of one rotation together or neither, and a
   * rotation that fails (its successor's key is taken) is undone and rejects alone.
   */
  readonly #rotations = new TurnBatch<() => number | undefined, Outcome<number | undefined>>(
    (rotations) =>
      this.#run(() => this.#transaction(() => rotations.map((rotate) => this.#savepoint(rotate)))),
    100,
  );

  #savepoint<R>(body: () => R): Outcome<R> {
    this.#db.exec('SAVEPOINT rotation');
    try {
      const ok = body();
      this.#db.exec('RELEASE rotation');
      return { ok };
    } catch (error) {
      this.#db.exec('ROLLBACK TO rotation');
      this.#db.exec('RELEASE rotation');
      return { error };
    }
  }

  /** SQL.compareAndSwap: the new version, or undefined when nothing matched. */
  #swap<T>(kind: RecordKind, key: string, expected: number, next: RecordInput<T>, nowMs: number) {
    const row = this.#stmt(SQL.compareAndSwap).get(
      next.owner ?? null,
      toJson(next.value),
      next.expiresAtMs,
      kind,
      keyDigest(kind, key),
      expected,
      nowMs,
    );
    return row === undefined ? undefined : Number(row.version);
  }

  async listByOwner<T>(
    kind: RecordKind,
    owner: string,
    nowMs: number,
    limit: number,
  ): Promise<StoredRecord<T>[]> {
    return this.#run(() =>
      this.#stmt(SQL.listByOwner)
        .all(kind, owner, nowMs, limit)
        .map((r) => toRecord<T>(r)!),
    );
  }

  async countByOwner(kind: RecordKind, owner: string, nowMs: number): Promise<number> {
    return this.#run(() => Number(this.#stmt(SQL.countByOwner).get(kind, owner, nowMs)!.n));
  }

  async deleteByOwner(kind: RecordKind, owner: string): Promise<number> {
    return this.#run(() => Number(this.#stmt(SQL.deleteByOwner).run(kind, owner).changes));
  }

  /**
   * Deletes the oldest expired rows through the expiry index, then gives up to `vacuumPagesPerBatch` free pages
   * back to the file system (`PRAGMA incremental_vacuum`), so a cleaned file shrinks batch by batch instead of
   * in one long VACUUM that would lock out writers.
   */
  async deleteExpired(nowMs: number, batch: number): Promise<Map<RecordKind, number>> {
    return this.#run(() => {
      const removed = new Map<RecordKind, number>();
      for (const row of this.#stmt(SQL.deleteExpired).all(nowMs, batch)) {
        const kind = row.kind as RecordKind;
        removed.set(kind, (removed.get(kind) ?? 0) + 1);
      }
      this.#db.exec(`PRAGMA incremental_vacuum(${this.#vacuumPages})`);
      return removed;
    });
  }

  async counts(): Promise<Map<RecordKind, number>> {
    return this.#run(() => {
      const counts = new Map<RecordKind, number>(RECORD_KINDS.map((kind) => [kind, 0]));
      for (const row of this.#stmt(SQL.counts).all()) counts.set(row.kind as RecordKind, Number(row.n));
      return counts;
    });
  }

  async ping(): Promise<void> {
    this.#run(() => this.#stmt('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /**
   * Test hook for the conformance suite: every row as text, and for a file the bytes of the database and its
   * WAL, as someone holding a copy of the state folder would read them.
   */
  async rawDump(): Promise<string> {
    const rows = this.#run(() =>
      this.#db.prepare('SELECT *, hex(key_digest) AS digest_hex FROM records').all(),
    );
    const text = JSON.stringify(rows, (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value,
    );
    if (this.path === ':memory:') return text;
    const files = await Promise.all(
      [this.path, `${this.path}-wal`].map((file) => readFile(file).catch(() => Buffer.alloc(0))),
    );
    return [text, ...files.map((bytes) => bytes.toString('latin1'))].join('\n');
  }

  #stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #transaction<R>(body: () => R): R {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #run<R>(operation: () => R): R {
    if (this.#closed) throw new StateUnavailableError('the embedded runtime state is closed');
    try {
      return operation();
    } catch (error) {
      throw stateError(error);
    }
  }
}

/** What one operation of a batch came to, so one failure rejects only its own caller. */
type Outcome<R> = { ok: R } | { error: unknown };

/** StateUnavailableError for SQLite's "cannot answer now" errors; any other error as it is. */
function stateError(error: unknown): unknown {
  const code = (error as { errcode?: number }).errcode;
  // Extended result codes carry the primary code in their low byte.
  if (code !== undefined && UNAVAILABLE_CODES.has(code & 0xff)) {
    return new StateUnavailableError(
      `the embedded runtime state could not answer: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return error;
}

function toJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('a runtime state value must be JSON');
  return text;
}

function toRecord<T>(row: Row | undefined): StoredRecord<T> | undefined {
  if (row === undefined) return undefined;
  return {
    value: JSON.parse(row.value as string) as T,
    owner: row.owner === null ? undefined : (row.owner as string),
    expiresAtMs: Number(row.expires_at),
    version: Number(row.version),
  };
}

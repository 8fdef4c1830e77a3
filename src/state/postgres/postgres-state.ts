/**
 * The PostgreSQL backend of runtime state, shared by every replica (runtime-state.ts has the contract, schema.ts
 * the table). Each operation is one statement on one pooled connection, so it is atomic across replicas by
 * the database's own row locking: consume is `DELETE … RETURNING`, compareAndSwap `UPDATE … WHERE version =`,
 * insert one call of a function that holds the owner's advisory lock (schema.ts).
 *
 * Every wait is bounded (pool-config.ts); a failure that means "the database cannot answer" becomes
 * {@link StateUnavailableError} (errors.ts), and the connection it happened on is thrown away rather than
 * reused, so a restarted or resumed server is used again without restarting the backend.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
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
import { CLEANER_LOCK } from './advisory-locks.ts';
import { parsePostgresUrl, redactPostgresUrl } from './connection-url.ts';
import { isUnavailable, toStateError } from './errors.ts';
import { keyDigest } from '../key-digest.ts';
import { getBatcher, type KeyedRecordRow } from './get-batch.ts';
import { batchKey, insertBatcher } from './insert-batch.ts';
import { migrate } from './migrate.ts';
import { rotateBatcher } from './rotate-batch.ts';
import { DEFAULT_TIMEOUTS, poolConfig, type PostgresTimeouts, type ReadPem } from './pool-config.ts';
import { SQL, type RecordRow } from './statements.ts';

export interface PostgresStateOptions {
  /** libpq-style URL (connection-url.ts). */
  url: string;
  /** The setting the URL came from, for ConfigError messages (default `state.postgres.url`). */
  field?: string;
  timeouts?: Partial<PostgresTimeouts>;
  /** Pool size per replica (default 10). */
  maxConnections?: number;
  /** How long start-up may wait for the migration lock and run migrations (default 60 s). */
  migrationTimeoutMs?: number;
  readPem?: ReadPem;
}

/**
 * Opens the backend: parses the URL (ConfigError when it is wrong), runs migrations under the advisory lock
 * (StateSchemaTooNewError when the database is newer than this build), then serves from a pool.
 */
export async function openPostgresState(options: PostgresStateOptions): Promise<PostgresState> {
  const field = options.field ?? 'state.postgres.url';
  const connection = parsePostgresUrl(options.url, field);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const readPem = options.readPem ?? ((path: string) => readFileSync(path, 'utf8'));
  const config = poolConfig(connection, timeouts, options.maxConnections ?? 10, readPem, field);
  const migrationTimeoutMs = options.migrationTimeoutMs ?? 60_000;
  const client = new pg.Client({
    ...config,
    statement_timeout: migrationTimeoutMs,
    query_timeout: migrationTimeoutMs + 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await migrate(client);
  } catch (error) {
    throw toStateError(error, `migrating ${redactPostgresUrl(connection)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return new PostgresState(new pg.Pool(config), redactPostgresUrl(connection));
}

export class PostgresState implements RuntimeState {
  readonly backend = 'postgres';
  private closed = false;

  private readonly pool: pg.Pool;
  /** The URL without its password, for messages. */
  readonly target: string;

  /** Inserts without an owner limit, sent together (insert-batch.ts). */
  private readonly batcher = insertBatcher(async (rows) => {
    const { kinds, digests, owners, values, expires, nowMs } = rows;
    const result = await this.query<{ kind: string; key_digest: Buffer }>('insert', SQL.insertBatch, [
      kinds,
      digests,
      owners,
      values,
      expires,
      nowMs,
    ]);
    return new Set(result.rows.map((row) => batchKey(row.kind, row.key_digest)));
  });

  /** Reads, sent together (get-batch.ts). */
  private readonly reads = getBatcher(async ({ kinds, digests, nowMs }) => {
    const result = await this.query<KeyedRecordRow>('get', SQL.getBatch, [kinds, digests, nowMs]);
    return result.rows;
  });

  /** Rotations (refresh tokens, code redemptions), sent together (rotate-batch.ts). */
  private readonly rotations = rotateBatcher(async (rows) => {
    const result = await this.query<{ ord: string; version: number }>('rotate', SQL.rotateBatch, [
      rows.kinds,
      rows.digests,
      rows.expected,
      rows.owners,
      rows.values,
      rows.expires,
      rows.nows,
      rows.successorKinds,
      rows.successorDigests,
      rows.successorOwners,
      rows.successorValues,
      rows.successorExpires,
    ]);
    return result.rows;
  });

  constructor(pool: pg.Pool, target: string) {
    this.pool = pool;
    this.target = target;
    // An idle connection that breaks (the server restarted) errors on the pool; the pool drops it, and the
    // next operation reports what is wrong. Without a listener the error would crash the process.
    pool.on('error', () => undefined);
  }

  async insert<T>(
    kind: RecordKind,
    key: string,
    record: RecordInput<T>,
    nowMs: number,
    options: InsertOptions = {},
  ): Promise<InsertResult> {
    const digest = keyDigest(kind, key);
    const owner = record.owner ?? null;
    const value = jsonText(record.value);
    if (options.ownerLimit === undefined || owner === null) {
      return this.batcher.add({ kind, digest, owner, value, expiresAtMs: record.expiresAtMs, nowMs });
    }
    const { rows } = await this.query<{ result: InsertResult }>('insert', SQL.insert, [
      kind,
      digest,
      owner,
      value,
      record.expiresAtMs,
      nowMs,
      options.ownerLimit,
    ]);
    return rows[0]!.result;
  }

  async get<T>(kind: RecordKind, key: string, nowMs: number): Promise<StoredRecord<T> | undefined> {
    const row = await this.reads.add({ kind, digest: keyDigest(kind, key), nowMs });
    return row && toRecord<T>(row);
  }

  async consume<T>(kind: RecordKind, key: string, nowMs: number): Promise<StoredRecord<T> | undefined> {
    const { rows } = await this.query<RecordRow>('consume', SQL.consume, [kind, keyDigest(kind, key), nowMs]);
    return rows[0] && toRecord<T>(rows[0]);
  }

  async compareAndSwap<T>(
    kind: RecordKind,
    key: string,
    expectedVersion: number,
    next: RecordInput<T>,
    nowMs: number,
  ): Promise<number | undefined> {
    const { rows } = await this.query<{ version: number }>('compareAndSwap', SQL.compareAndSwap, [
      kind,
      keyDigest(kind, key),
      expectedVersion,
      next.owner ?? null,
      jsonText(next.value),
      next.expiresAtMs,
      nowMs,
    ]);
    return rows[0]?.version;
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
    return this.rotations.add({
      kind,
      digest: keyDigest(kind, key),
      expectedVersion,
      owner: next.owner ?? null,
      value: jsonText(next.value),
      expiresAtMs: next.expiresAtMs,
      nowMs,
      successor: {
        kind: successorKind,
        digest: keyDigest(successorKind, successor.key),
        owner: record.owner ?? null,
        value: jsonText(record.value),
        expiresAtMs: record.expiresAtMs,
      },
    });
  }

  async listByOwner<T>(
    kind: RecordKind,
    owner: string,
    nowMs: number,
    limit: number,
  ): Promise<StoredRecord<T>[]> {
    const { rows } = await this.query<RecordRow>('listByOwner', SQL.listByOwner, [kind, owner, nowMs, limit]);
    return rows.map((row) => toRecord<T>(row));
  }

  async countByOwner(kind: RecordKind, owner: string, nowMs: number): Promise<number> {
    const { rows } = await this.query<{ n: number }>('countByOwner', SQL.countByOwner, [kind, owner, nowMs]);
    return rows[0]?.n ?? 0;
  }

  async deleteByOwner(kind: RecordKind, owner: string): Promise<number> {
    const { rowCount } = await this.query('deleteByOwner', SQL.deleteByOwner, [kind, owner]);
    return rowCount ?? 0;
  }

  async deleteExpired(nowMs: number, batch: number): Promise<Map<RecordKind, number>> {
    const { rows } = await this.query<{ kind: RecordKind; n: number }>('deleteExpired', SQL.deleteExpired, [
      nowMs,
      batch,
    ]);
    return new Map(rows.map((row) => [row.kind, row.n]));
  }

  /**
   * Runs `run` only if no other replica is cleaning: a session-level `pg_try_advisory_lock` on one pooled
   * connection kept aside for the whole run (the batches themselves go through the pool), released after it,
   * whether `run` resolved or threw. Resolves false at once, without running, when another replica holds it.
   *
   * If the kept connection breaks mid-run, the server drops the lock with the session and another replica may
   * start cleaning beside this one; that is harmless, as deleteExpired skips rows another cleaner has locked.
   * When the unlock fails the connection is discarded rather than pooled, so the lock never outlives the run
   * on a pooled session.
   *
   * The cleaner does not run `VACUUM`; autovacuum does. Deleted rows leave dead tuples that a plain `VACUUM`
   * makes reusable, and autovacuum starts one after 2 % of the table changed (schema.ts), throttled by its cost
   * delay. A `VACUUM` from the cleaner would repeat that work on a second schedule, unthrottled (a manual
   * `VACUUM` has no cost delay by default), and it would give no space back either: a plain `VACUUM` truncates
   * only the heap's empty tail and never shrinks an index. So after a backlog the table stays at its peak and
   * reuses that space for later rows (test/state/postgres-cleaning.test.ts measures both).
   */
  async tryLeadCleaning(run: () => Promise<void>): Promise<boolean> {
    if (this.closed) throw new StateUnavailableError('PostgreSQL runtime state: cleaning after close');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toStateError(error, `cleaning (connecting to ${this.target})`);
    }
    let locked: boolean;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock($1::bigint) as locked',
        [CLEANER_LOCK],
      );
      locked = rows[0]?.locked === true;
    } catch (error) {
      client.release(error as Error);
      throw toStateError(error, `cleaning (locking on ${this.target})`);
    }
    if (!locked) {
      client.release();
      return false;
    }
    try {
      await run();
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [CLEANER_LOCK]).then(
        () => client.release(),
        // Unsure whether the lock is still held: end the session, which drops it.
        (error: unknown) => client.release(error instanceof Error ? error : new Error(String(error))),
      );
    }
    return true;
  }

  /**
   * Exact below {@link EXACT_COUNT_BELOW} rows (a count through the primary key); above it an estimate from the
   * planner's statistics, the row estimate times each kind's share in `pg_stats` (every kind is among the most
   * common values: there are few), which costs nothing however large the table is.
   */
  async counts(): Promise<Map<RecordKind, number>> {
    const estimate = await this.query<{ total: number }>('counts', SQL.estimatedTotal, []);
    const total = estimate.rows[0]?.total ?? -1;
    const sql = total >= 0 && total >= EXACT_COUNT_BELOW ? SQL.estimatedCounts : SQL.exactCounts;
    const { rows } = await this.query<{ kind: string; n: number }>('counts', sql, []);
    const counts = new Map<RecordKind, number>();
    for (const row of rows) {
      if ((RECORD_KINDS as readonly string[]).includes(row.kind)) counts.set(row.kind as RecordKind, row.n);
    }
    return counts;
  }

  async ping(): Promise<void> {
    await this.query('ping', 'select 1', []);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Every row as the database holds it, as JSON text: for tests that prove keys are not stored in clear. */
  async rawDump(): Promise<string> {
    const { rows } = await this.query('rawDump', SQL.rawDump, []);
    return JSON.stringify(rows);
  }

  /** One statement on one pooled connection; a connection that failed is discarded, not returned. */
  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    operation: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StateUnavailableError(`PostgreSQL runtime state: ${operation} after close`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toStateError(error, `${operation} (connecting to ${this.target})`);
    }
    try {
      const result = await client.query<R>({ name: statementName(text), text, values });
      client.release();
      return result;
    } catch (error) {
      client.release(isUnavailable(error) ? (error as Error) : undefined);
      throw toStateError(error, `${operation} on ${this.target}`);
    }
  }
}

/** Above this many rows, counts() estimates. */
export const EXACT_COUNT_BELOW = 100_000;

const names = new Map<string, string>();
/** A prepared-statement name per SQL text: parsed and planned once per connection. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `latchkey_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

function toRecord<T>(row: RecordRow): StoredRecord<T> {
  return {
    value: JSON.parse(row.value) as T,
    owner: row.owner ?? undefined,
    expiresAtMs: Number(row.expires_at),
    version: row.version,
  };
}

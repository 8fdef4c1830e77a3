import type { DatabaseSync } from 'node:sqlite';
import { planMigrations, STATE_MIGRATIONS, withSql, type MigrationStep } from '../migrations.ts';

/**
 * The SQLite schema of the embedded backend, one entry per step of {@link STATE_MIGRATIONS}.
 *
 * One table for every kind (a new kind adds nothing here). `key_digest` is `sha256(kind NUL key)`
 * (src/state/key-digest.ts). `expires_at` is indexed alone so the cleaner deletes the oldest rows through the
 * index, never a full scan; the owner index is partial because most rows (a `jti`) may have no owner.
 */
export const SQLITE_MIGRATIONS: Readonly<Record<number, string>> = {
  1: `
    CREATE TABLE records (
      kind TEXT NOT NULL,
      key_digest BLOB NOT NULL,
      owner TEXT,
      value TEXT NOT NULL,
      version INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (kind, key_digest)
    ) STRICT;
    CREATE INDEX records_expires_at ON records (expires_at);
    CREATE INDEX records_owner ON records (kind, owner, expires_at) WHERE owner IS NOT NULL;
  `,
};

/**
 * Connection settings, applied at every open. `auto_vacuum = INCREMENTAL` only takes effect on a new, empty
 * file (before the first table), which is why it comes first: it lets the cleaner give freed pages back to the
 * file system, so the file shrinks to what live rows need (issue 11). WAL lets readers run beside the writer;
 * `synchronous = NORMAL` in WAL mode loses at most the last transactions on power loss, never consistency.
 * `journal_size_limit` truncates the WAL after a checkpoint so a burst does not leave a large file behind.
 */
const PRAGMAS = [
  'PRAGMA auto_vacuum = INCREMENTAL',
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  'PRAGMA journal_size_limit = 16777216',
];

const MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT
`;

/**
 * Applies the pragmas and runs the migrations this database lacks, all in one `BEGIN IMMEDIATE` transaction
 * (a second process opening the same file waits, then finds nothing to do). Throws StateSchemaTooNewError
 * before changing anything when the file was migrated by a newer Latchkey. Returns the steps it ran.
 */
export function migrate(
  db: DatabaseSync,
  nowMs: number,
  known: readonly MigrationStep[] = STATE_MIGRATIONS,
  sql: Readonly<Record<number, string>> = SQLITE_MIGRATIONS,
): MigrationStep[] {
  for (const pragma of PRAGMAS) db.exec(pragma);
  const steps = withSql(known, sql, 'embedded');
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(MIGRATIONS_TABLE);
    const applied = db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((row) => Number(row.version));
    const toRun = planMigrations(applied, known);
    const record = db.prepare(
      'INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)',
    );
    for (const step of toRun) {
      db.exec(steps[step.version - 1]!.sql);
      record.run(step.version, step.description, nowMs);
    }
    db.exec('COMMIT');
    return toRun;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

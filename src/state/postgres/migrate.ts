/**
 * Runs the schema migrations when a backend opens: the shared steps of src/state/migrations.ts, each with this
 * backend's SQL (schema.ts). Several replicas may start at once: each takes one transaction-scoped advisory lock
 * first, so exactly one applies what is missing while the others wait and then find nothing to do. Migrations
 * and their bookkeeping rows commit together (PostgreSQL's DDL is transactional): a crash leaves the schema at
 * the previous version, never half-migrated. A database migrated by a newer Latchkey is refused with
 * StateSchemaTooNewError before anything changes.
 */
import type pg from 'pg';
import { planMigrations, STATE_MIGRATIONS, withSql, type MigrationStep } from '../migrations.ts';
import { MIGRATION_LOCK } from './advisory-locks.ts';
import { MIGRATIONS_TABLE, POSTGRES_MIGRATIONS } from './schema.ts';

/**
 * Applies what is missing, under the advisory lock; returns the steps it ran (none when up to date). Throws
 * StateSchemaTooNewError or StateMigrationError (src/state/migrations.ts) after rolling back.
 */
export async function migrate(
  client: pg.ClientBase,
  known: readonly MigrationStep[] = STATE_MIGRATIONS,
  sql: Readonly<Record<number, string>> = POSTGRES_MIGRATIONS,
): Promise<MigrationStep[]> {
  // A step without SQL is found here, before the transaction, not half-way through a migration.
  const steps = withSql(known, sql, 'postgres');
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    await client.query(
      `create table if not exists ${MIGRATIONS_TABLE} (
         version integer primary key,
         description text not null,
         applied_at timestamptz not null default now()
       )`,
    );
    const { rows } = await client.query<{ version: number }>(`select version from ${MIGRATIONS_TABLE}`);
    const toRun = planMigrations(
      rows.map((row) => row.version),
      known,
    );
    for (const step of toRun) {
      await client.query(steps[step.version - 1]!.sql);
      await client.query(`insert into ${MIGRATIONS_TABLE} (version, description) values ($1, $2)`, [
        step.version,
        step.description,
      ]);
    }
    await client.query('commit');
    return toRun;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

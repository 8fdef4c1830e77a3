/**
 * Runs the schema migrations (schema.ts) when a backend opens. Several replicas may start at once: each takes
 * one transaction-scoped advisory lock first, so exactly one applies what is missing while the others wait and
 * then find nothing to do. Migrations and their bookkeeping row commit together (PostgreSQL's DDL is
 * transactional): a crash leaves the schema at the previous version, never half-migrated. A database migrated by
 * a newer Latchkey is refused with {@link StateSchemaTooNewError}.
 */
import type pg from 'pg';
import { StateSchemaTooNewError } from '../runtime-state.ts';
import { MIGRATIONS, MIGRATIONS_TABLE, type Migration } from './schema.ts';

/** The advisory lock key of migrations ("latchkey" in ASCII, as a 64-bit integer). */
export const MIGRATION_LOCK = '7809644666444330361';

/**
 * What to apply to a schema at version `applied` (0: empty): the migrations above it, in order. Throws
 * {@link StateSchemaTooNewError} when `applied` is beyond the last migration this build knows.
 */
export function planMigrations(applied: number, known: readonly Migration[] = MIGRATIONS): Migration[] {
  const latest = known.at(-1)?.version ?? 0;
  if (applied > latest) throw new StateSchemaTooNewError(applied, latest);
  known.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  return known.filter((m) => m.version > applied);
}

/** Applies what is missing, under the advisory lock; returns the versions it applied (none when up to date). */
export async function migrate(
  client: pg.ClientBase,
  known: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    await client.query(
      `create table if not exists ${MIGRATIONS_TABLE} (
         version integer primary key,
         name text not null,
         applied_at timestamptz not null default now()
       )`,
    );
    const { rows } = await client.query<{ applied: number | null }>(
      `select max(version) as applied from ${MIGRATIONS_TABLE}`,
    );
    const pending = planMigrations(rows[0]?.applied ?? 0, known);
    for (const m of pending) {
      await client.query(m.sql);
      await client.query(`insert into ${MIGRATIONS_TABLE} (version, name) values ($1, $2)`, [
        m.version,
        m.name,
      ]);
    }
    await client.query('commit');
    return pending.map((m) => m.version);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

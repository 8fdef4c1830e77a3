import { StateSchemaTooNewError } from './runtime-state.ts';

/**
 * Schema migrations of the runtime state: versioned and forward-only (issue 11). The decision of what to run is
 * here, pure and shared by both backends; each backend holds its own SQL per version (embedded:
 * src/state/embedded/schema.ts; PostgreSQL: its own) and runs the steps this decides, in one transaction (and
 * on PostgreSQL under an advisory lock, so replicas starting together migrate once).
 */

/** One step of the schema: backend-neutral. A backend pairs it with its SQL through {@link withSql}. */
export interface MigrationStep {
  /** 1, 2, 3, … with no gaps: the schema is at version n once steps 1..n have run. */
  readonly version: number;
  /** What the step does, recorded beside its version in the database. */
  readonly description: string;
}

/** The steps this build knows, oldest first. Append only: a released step is never edited or removed. */
export const STATE_MIGRATIONS: readonly MigrationStep[] = [
  {
    version: 1,
    description:
      'records: one table for every kind, keyed by (kind, key digest), with expiry and owner indexes',
  },
];

/** The applied versions or the known steps are not what a forward-only history can produce. */
export class StateMigrationError extends Error {
  readonly code = 'STATE_MIGRATION_INCONSISTENT';
  constructor(message: string) {
    super(message);
    this.name = 'StateMigrationError';
  }
}

/**
 * Which steps to run, oldest first, given the versions the database records as applied and the steps this
 * build knows. Nothing when the schema is current. Throws {@link StateSchemaTooNewError} when the database is
 * at a version this build does not know (a newer Latchkey migrated it), and {@link StateMigrationError} when
 * the applied versions are not 1..n (a hand-edited or corrupt history) or the known steps are not 1..n.
 *
 * @example
 * planMigrations([1], [{ version: 1, … }, { version: 2, … }]) // → [{ version: 2, … }]
 */
export function planMigrations(applied: readonly number[], known: readonly MigrationStep[]): MigrationStep[] {
  known.forEach((step, i) => {
    if (step.version !== i + 1) {
      throw new StateMigrationError(
        `known migration ${i + 1} has version ${step.version}: versions must be 1..n`,
      );
    }
  });
  const sorted = [...applied].sort((a, b) => a - b);
  const current = sorted.length === 0 ? 0 : sorted[sorted.length - 1]!;
  if (current > known.length) throw new StateSchemaTooNewError(current, known.length);
  sorted.forEach((version, i) => {
    if (version !== i + 1) {
      throw new StateMigrationError(
        `the runtime state records migrations [${sorted.join(', ')}] as applied: expected 1..${current}`,
      );
    }
  });
  return known.slice(current);
}

/**
 * Pairs each known step with this backend's SQL for it; a step without SQL is a build error, found at open
 * (and by the backend's tests) rather than half-way through a migration.
 */
export function withSql<S>(
  known: readonly MigrationStep[],
  sql: Readonly<Record<number, S>>,
  backend: string,
): (MigrationStep & { sql: S })[] {
  return known.map((step) => {
    const statements = sql[step.version];
    if (statements === undefined) {
      throw new StateMigrationError(`the ${backend} backend has no SQL for migration ${step.version}`);
    }
    return { ...step, sql: statements };
  });
}

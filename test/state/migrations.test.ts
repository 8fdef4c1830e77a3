import { describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/state/embedded/schema.ts';
import {
  planMigrations,
  STATE_MIGRATIONS,
  StateMigrationError,
  withSql,
  type MigrationStep,
} from '../../src/state/migrations.ts';
import { StateSchemaTooNewError } from '../../src/state/runtime-state.ts';

const step = (version: number): MigrationStep => ({ version, description: `step ${version}` });
const KNOWN = [step(1), step(2), step(3)];

describe('planMigrations', () => {
  it.each([
    ['an empty database runs every step', [], [1, 2, 3]],
    ['a database at 1 runs 2 and 3', [1], [2, 3]],
    ['a database at 2 runs 3', [2, 1], [3]],
    ['a current database runs nothing', [1, 2, 3], []],
  ] as const)('%s', (_name, applied, expected) => {
    expect(planMigrations(applied, KNOWN).map((s) => s.version)).toEqual(expected);
  });

  it.each([
    ['one step ahead', [1, 2, 3, 4], 4],
    ['far ahead, with a gap', [1, 2, 3, 9], 9],
    ['ahead of a build that knows nothing yet', [1], 1],
  ] as const)('refuses a database migrated by a newer Latchkey: %s', (_name, applied, found) => {
    const known = found === 1 ? [] : KNOWN;
    expect(() => planMigrations(applied, known)).toThrow(StateSchemaTooNewError);
    expect(() => planMigrations(applied, known)).toThrow(
      `at version ${found}, newer than the ${known.length}`,
    );
  });

  it.each([
    ['a gap', [1, 3]],
    ['a missing first step', [2]],
    ['a duplicate', [1, 1]],
    ['a zero', [0, 1]],
  ] as const)('refuses an applied history with %s', (_name, applied) => {
    expect(() => planMigrations(applied, KNOWN)).toThrow(StateMigrationError);
  });

  it.each([
    ['out of order', [step(2), step(1)]],
    ['starting at 0', [step(0), step(1)]],
    ['with a gap', [step(1), step(3)]],
  ] as const)('refuses known steps %s', (_name, known) => {
    expect(() => planMigrations([], known)).toThrow(StateMigrationError);
  });

  it('knows its steps as 1..n', () => {
    expect(STATE_MIGRATIONS.map((s) => s.version)).toEqual(STATE_MIGRATIONS.map((_s, i) => i + 1));
  });
});

describe('withSql', () => {
  it('pairs every known step with the backend’s SQL, and the embedded backend has SQL for each', () => {
    expect(withSql(KNOWN.slice(0, 2), { 1: 'a', 2: 'b' }, 'test').map((s) => s.sql)).toEqual(['a', 'b']);
    expect(withSql(STATE_MIGRATIONS, SQLITE_MIGRATIONS, 'embedded')).toHaveLength(STATE_MIGRATIONS.length);
  });

  it('names the backend and the step that has no SQL', () => {
    expect(() => withSql(KNOWN, { 1: 'a', 3: 'c' }, 'embedded')).toThrow(
      'the embedded backend has no SQL for migration 2',
    );
  });
});

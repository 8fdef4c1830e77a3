/**
 * The PostgreSQL backend against the shared conformance suite, on a real PostgreSQL (test/support/postgres.ts):
 * one server for the file, a fresh database for every test.
 */
import { afterAll, beforeAll } from 'vitest';
import { openPostgresState, type PostgresState } from '../../src/state/postgres/postgres-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';
import { describeRuntimeStateConformance } from './conformance.ts';

let server: RunningPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describeRuntimeStateConformance(
  'postgres',
  async () => openPostgresState({ url: await server.createDatabase() }),
  { rawDump: (state: RuntimeState) => (state as PostgresState).rawDump() },
);

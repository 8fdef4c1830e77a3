/**
 * The statements of the PostgreSQL backend use the primary key or an index, never a sequential scan, on a table
 * large enough for the planner to care (EXPLAIN on 150,000 analysed rows); and counts() estimates there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  EXACT_COUNT_BELOW,
  openPostgresState,
  type PostgresState,
} from '../../src/state/postgres/postgres-state.ts';
import { RECORDS_TABLE } from '../../src/state/postgres/schema.ts';
import { SQL } from '../../src/state/postgres/statements.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';

const NOW = 1_750_000_000_000;
const ROWS = 150_000;

let server: RunningPostgres;
let state: PostgresState;
let client: pg.Client;
beforeAll(async () => {
  server = await startPostgres();
  const url = await server.createDatabase();
  state = await openPostgresState({ url });
  client = new pg.Client({ connectionString: url });
  await client.connect();
  // Two kinds, 1,000 owners, expiries spread over an hour around NOW.
  await client.query(
    `insert into ${RECORDS_TABLE} (kind, key_digest, owner, value, version, expires_at)
     select case when i % 3 = 0 then 'revoked_token' else 'assertion_jti' end,
            sha256(i::text::bytea), 'owner-' || (i % 1000), '1', 1, $1::bigint + (i % 3600) * 1000 - 1800000
     from generate_series(1, $2::int) i`,
    [NOW, ROWS],
  );
  await client.query(`analyze ${RECORDS_TABLE}`);
});
afterAll(async () => {
  await client?.end();
  await state?.close();
  await server?.stop();
});

async function plan(sql: string, params: readonly unknown[]): Promise<string> {
  await client.query('deallocate all');
  await client.query(`prepare p as ${sql}`);
  const literal = (v: unknown) =>
    Buffer.isBuffer(v) ? `'\\x${v.toString('hex')}'::bytea` : `'${String(v)}'`;
  const args = params.length > 0 ? `(${params.map(literal).join(', ')})` : '';
  const { rows } = await client.query(`explain execute p${args}`);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

const digest = Buffer.alloc(32, 7);
describe('PostgreSQL statements', () => {
  it.each([
    ['get', 'pkey', SQL.get, ['assertion_jti', digest, NOW]],
    ['consume', 'pkey', SQL.consume, ['assertion_jti', digest, NOW]],
    ['compareAndSwap', 'pkey', SQL.compareAndSwap, ['assertion_jti', digest, 1, 'o', '1', NOW, NOW]],
    [
      'rotate',
      'pkey',
      SQL.rotate,
      ['assertion_jti', digest, 1, 'o', '1', NOW, NOW, Buffer.alloc(32, 8), 'o', '2', NOW],
    ],
    ['listByOwner', 'owner', SQL.listByOwner, ['assertion_jti', 'owner-7', NOW, 10]],
    ['countByOwner', 'owner', SQL.countByOwner, ['assertion_jti', 'owner-7', NOW]],
    ['deleteByOwner', 'owner', SQL.deleteByOwner, ['assertion_jti', 'owner-7']],
    ['deleteExpired', 'expiry', SQL.deleteExpired, [NOW, 1000]],
  ] as const)('%s uses the %s index, never a sequential scan', async (_name, index, sql, params) => {
    const text = await plan(sql, params);
    expect(text).toContain(`${RECORDS_TABLE}_${index}`);
    expect(text).not.toMatch(/Seq Scan/);
  });

  it('deleteExpired deletes a bounded batch, oldest first, of what has expired', async () => {
    const deleted = await state.deleteExpired(NOW, 1000);
    expect([...deleted.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    const { rows } = await client.query(`select min(expires_at)::bigint as oldest from ${RECORDS_TABLE}`);
    expect(Number(rows[0].oldest)).toBeGreaterThan(NOW - 1_800_000);
  });

  it(`counts estimates above ${EXACT_COUNT_BELOW} rows, from the statistics, close to the truth`, async () => {
    const counts = await state.counts();
    const { rows } = await client.query(
      `select kind, count(*)::int as n from ${RECORDS_TABLE} group by kind`,
    );
    for (const row of rows) {
      expect(counts.get(row.kind)).toBeGreaterThan(row.n * 0.9);
      expect(counts.get(row.kind)).toBeLessThan(row.n * 1.1);
    }
    // An estimate, not a count: after an analyze it is the sampled share times the row estimate.
    await expect(plan(SQL.estimatedCounts, [])).resolves.not.toMatch(/Seq Scan on latchkey/);
  });
});

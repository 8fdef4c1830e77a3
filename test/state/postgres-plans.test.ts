/**
 * The statements of the PostgreSQL backend use the primary key or an index, never a sequential scan, on a table
 * large enough for the planner to care (EXPLAIN on 150,000 analysed rows); and counts() estimates there.
 *
 * And the plans a session keeps stay on the indexes after the table grows. node-postgres prepares each statement
 * once per connection, and after five executions PostgreSQL may keep one generic plan for it; planned while the
 * table was a page or two, that plan is a sequential scan and stays cached until an ANALYZE invalidates it
 * (pool-config.ts, PLANNER_OPTIONS). Seen from outside, as an operator would: pg_stat_user_tables' counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  EXACT_COUNT_BELOW,
  openPostgresState,
  type PostgresState,
} from '../../src/state/postgres/postgres-state.ts';
import { PLANNER_OPTIONS } from '../../src/state/postgres/pool-config.ts';
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
const cases = [
  [
    'getBatch',
    'pkey',
    SQL.getBatch,
    ['{assertion_jti,revoked_token}', `{"\\\\x${digest.toString('hex')}"}`, NOW],
  ],
  ['consume', 'pkey', SQL.consume, ['assertion_jti', digest, NOW]],
  ['compareAndSwap', 'pkey', SQL.compareAndSwap, ['assertion_jti', digest, 1, 'o', '1', NOW, NOW]],
  [
    'rotateBatch',
    'pkey',
    SQL.rotateBatch,
    [
      '{assertion_jti}',
      `{"\\\\x${digest.toString('hex')}"}`,
      '{1}',
      '{o}',
      '{"1"}',
      `{${NOW}}`,
      `{${NOW}}`,
      '{refresh_token}',
      `{"\\\\x${Buffer.alloc(32, 8).toString('hex')}"}`,
      '{o}',
      '{"2"}',
      `{${NOW}}`,
    ],
  ],
  ['listByOwner', 'owner', SQL.listByOwner, ['assertion_jti', 'owner-7', NOW, 10]],
  ['countByOwner', 'owner', SQL.countByOwner, ['assertion_jti', 'owner-7', NOW]],
  ['deleteByOwner', 'owner', SQL.deleteByOwner, ['assertion_jti', 'owner-7']],
  ['deleteExpired', 'expiry', SQL.deleteExpired, [NOW, 1000]],
] as const;

describe('PostgreSQL statements', () => {
  it.each(cases)('%s uses the %s index, never a sequential scan', async (_name, index, sql, params) => {
    const text = await plan(sql, params);
    expect(text).toContain(`${RECORDS_TABLE}_${index}`);
    expect(text).not.toMatch(/Seq Scan/);
  });

  // The sessions' own settings (PLANNER_OPTIONS): one generic plan per statement, planned once per connection for
  // any parameters, must use the same index, whatever a batch's length.
  it.each(cases)(
    '%s uses the %s index in the generic plan of a session',
    async (_name, index, sql, params) => {
      const settings = [...PLANNER_OPTIONS.matchAll(/-c (\w+)=(\w+)/g)].map(([, name, value]) => [
        name!,
        value!,
      ]);
      expect(settings.map(([name]) => name)).toContain('plan_cache_mode');
      for (const [name, value] of settings) await client.query(`set ${name} = ${value}`);
      try {
        const text = await plan(sql, params);
        expect(text).toContain(`${RECORDS_TABLE}_${index}`);
        expect(text).not.toMatch(/Seq Scan|Hash Join|Merge Join/);
      } finally {
        await client.query('reset all');
      }
    },
  );

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

describe('PostgreSQL plans kept by a session', () => {
  let small: PostgresState;
  let smallClient: pg.Client;
  beforeAll(async () => {
    const url = await server.createDatabase();
    small = await openPostgresState({ url, maxConnections: 1 });
    smallClient = new pg.Client({ connectionString: url });
    await smallClient.connect();
  });
  afterAll(async () => {
    await smallClient?.end();
    await small?.close();
  });

  const scans = async (): Promise<{ seq: number; idx: number }> => {
    const { rows } = await smallClient.query<{ seq: string; idx: string }>(
      'select seq_scan as seq, coalesce(idx_scan, 0) as idx from pg_stat_user_tables where relname = $1',
      [RECORDS_TABLE],
    );
    return { seq: Number(rows[0]!.seq), idx: Number(rows[0]!.idx) };
  };
  /** The counters once the state's session has reported `n` more scans (it flushes them when idle, within seconds). */
  const scansAfter = async (before: { seq: number; idx: number }, n: number) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await scans();
      if (now.seq + now.idx - before.seq - before.idx >= n || Date.now() > deadline) return now;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const insertRows = (prefix: string, n: number) =>
    smallClient.query(
      `insert into ${RECORDS_TABLE} (kind, key_digest, owner, value, version, expires_at)
       select 'refresh_token', sha256(($1 || i)::bytea), null, '1', 1, $2::bigint from generate_series(1, $3::int) i`,
      [prefix, NOW + 3_600_000, n],
    );
  /** `n` reads and a rotation, one after another: each its own statement. */
  const use = async (n: number) => {
    for (let i = 0; i < n; i++) await small.get('refresh_token', `absent-${i}`, NOW);
    const record = { value: 1, expiresAtMs: NOW + 1 };
    await small.rotate('refresh_token', 'absent', 1, record, { key: 'successor', record }, NOW);
  };

  it('read through the primary key after the table grew from a few rows, with no ANALYZE since', async () => {
    // A small table with fresh statistics, and no autovacuum to analyze it again behind the test's back.
    await smallClient.query(`alter table ${RECORDS_TABLE} set (autovacuum_enabled = false)`);
    await insertRows('small', 20);
    await smallClient.query(`analyze ${RECORDS_TABLE}`);
    const start = await scans();
    // More than five executions: PostgreSQL settles on a plan for the session's prepared statements.
    await use(12);
    const before = await scansAfter(start, 13);
    await insertRows('big', 200_000);
    await use(30);
    const after = await scansAfter(before, 31);
    expect({ seq: after.seq - before.seq, idx: after.idx - before.idx }).toEqual({ seq: 0, idx: 31 });
  });
});

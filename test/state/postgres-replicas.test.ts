/**
 * Two "replicas" (two backends, each with its own pool) on one real PostgreSQL database: what one does the other
 * sees, and a race between them has exactly one winner. Also migrations when replicas start at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { migrate, planMigrations } from '../../src/state/postgres/migrate.ts';
import { openPostgresState, type PostgresState } from '../../src/state/postgres/postgres-state.ts';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../src/state/postgres/schema.ts';
import { StateSchemaTooNewError } from '../../src/state/runtime-state.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';

const NOW = 1_750_000_000_000;
const LATER = NOW + 60_000;

let server: RunningPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function twoReplicas(): Promise<[PostgresState, PostgresState, () => Promise<void>]> {
  const url = await server.createDatabase();
  const [a, b] = await Promise.all([openPostgresState({ url }), openPostgresState({ url })]);
  return [a, b, async () => void (await Promise.all([a.close(), b.close()]))];
}

describe('two replicas on one database', () => {
  it('see each other’s records: a jti inserted by one exists for the other, a consume by one is gone for both', async () => {
    const [a, b, close] = await twoReplicas();
    try {
      expect(await a.insert('assertion_jti', 'jti-1', { value: 1, expiresAtMs: LATER }, NOW)).toBe('created');
      expect(await b.insert('assertion_jti', 'jti-1', { value: 2, expiresAtMs: LATER }, NOW)).toBe('exists');
      expect((await b.consume('assertion_jti', 'jti-1', NOW))?.value).toBe(1);
      expect(await a.get('assertion_jti', 'jti-1', NOW)).toBeUndefined();
    } finally {
      await close();
    }
  });

  it('race insert, consume and compareAndSwap of one key: exactly one winner each', async () => {
    const [a, b, close] = await twoReplicas();
    try {
      const both = <T>(f: (s: PostgresState, i: number) => Promise<T>) =>
        Promise.all(Array.from({ length: 40 }, (_, i) => f(i % 2 ? a : b, i)));
      const inserted = await both((s, i) =>
        s.insert('revoked_token', 'k', { value: i, expiresAtMs: LATER }, NOW),
      );
      expect(inserted.filter((r) => r === 'created')).toHaveLength(1);
      const swapped = await both((s, i) =>
        s.compareAndSwap('revoked_token', 'k', 1, { value: i, expiresAtMs: LATER }, NOW),
      );
      expect(swapped.filter((v) => v !== undefined)).toEqual([2]);
      const consumed = await both((s) => s.consume('revoked_token', 'k', NOW));
      expect(consumed.filter((r) => r !== undefined)).toHaveLength(1);
      expect(consumed.find((r) => r !== undefined)?.version).toBe(2);
    } finally {
      await close();
    }
  });

  it('hold an owner to ownerLimit together: 2 × 15 concurrent inserts with limit 5 create 5', async () => {
    const [a, b, close] = await twoReplicas();
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? a : b).insert(
            'assertion_jti',
            `k${i}`,
            { value: i, owner: 'client', expiresAtMs: LATER },
            NOW,
            {
              ownerLimit: 5,
            },
          ),
        ),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(5);
      expect(await b.countByOwner('assertion_jti', 'client', NOW)).toBe(5);
    } finally {
      await close();
    }
  });
});

describe('migrations', () => {
  it('run once when 8 replicas open a fresh database at once, and every replica opens', async () => {
    const url = await server.createDatabase();
    const states = await Promise.all(Array.from({ length: 8 }, () => openPostgresState({ url })));
    try {
      const rows = await withClient(
        url,
        async (c) => (await c.query(`select version from ${MIGRATIONS_TABLE}`)).rows,
      );
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await Promise.all(states.map((s) => s.ping()));
    } finally {
      await Promise.all(states.map((s) => s.close()));
    }
  });

  it('are applied by exactly one of several concurrent runners; the others find nothing to do', async () => {
    const url = await server.createDatabase();
    const clients = Array.from({ length: 5 }, () => new pg.Client({ connectionString: url }));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      const applied = await Promise.all(clients.map((c) => migrate(c)));
      expect(applied.filter((versions) => versions.length > 0)).toEqual([MIGRATIONS.map((m) => m.version)]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('refuse to start on a schema newer than this build knows, and change nothing', async () => {
    const url = await server.createDatabase();
    await (await openPostgresState({ url })).close();
    const newer = MIGRATIONS.length + 1;
    await withClient(url, (c) =>
      c.query(`insert into ${MIGRATIONS_TABLE} (version, name) values ($1, 'future')`, [newer]),
    );
    const opening = openPostgresState({ url });
    await expect(opening).rejects.toBeInstanceOf(StateSchemaTooNewError);
    await expect(opening).rejects.toThrow(
      `at version ${newer}, newer than the ${MIGRATIONS.length} this Latchkey knows`,
    );
    const count = await withClient(
      url,
      async (c) => (await c.query(`select count(*)::int as n from ${MIGRATIONS_TABLE}`)).rows[0].n,
    );
    expect(count).toBe(newer);
  });
});

describe('planMigrations', () => {
  const known = [
    { version: 1, name: 'one', sql: '' },
    { version: 2, name: 'two', sql: '' },
  ];
  it.each([
    [0, [1, 2]],
    [1, [2]],
    [2, []],
  ])('at version %i applies %j', (applied, expected) => {
    expect(planMigrations(applied, known).map((m) => m.version)).toEqual(expected);
  });

  it('refuses a schema newer than the last known migration', () => {
    expect(() => planMigrations(3, known)).toThrow(StateSchemaTooNewError);
  });

  it('refuses a list with a gap or out of order: versions are 1, 2, 3, …', () => {
    expect(() => planMigrations(0, [known[1]!, known[0]!])).toThrow(/expected 1/);
    expect(() => planMigrations(0, [known[0]!, { version: 3, name: 'three', sql: '' }])).toThrow(
      /expected 2/,
    );
  });
});

/**
 * Two "replicas" (two backends, each with its own pool) on one real PostgreSQL database: what one does the other
 * sees, and a race between them has exactly one winner. Also migrations when replicas start at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { STATE_MIGRATIONS, StateMigrationError, withSql } from '../../src/state/migrations.ts';
import { migrate } from '../../src/state/postgres/migrate.ts';
import { openPostgresState, type PostgresState } from '../../src/state/postgres/postgres-state.ts';
import { MIGRATIONS_TABLE, POSTGRES_MIGRATIONS } from '../../src/state/postgres/schema.ts';
import { StateSchemaTooNewError } from '../../src/state/runtime-state.ts';
import { startPostgres, withClient, type RunningPostgres } from '../support/postgres.ts';

const NOW = 1_750_000_000_000;
const LATER = NOW + 60_000;

let server: RunningPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

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

describe('tryLeadCleaning on two replicas', () => {
  it('lets one replica clean at a time: while one runs, the other is refused without running; after, it leads', async () => {
    const [a, b, close] = await twoReplicas();
    try {
      let finish!: () => void;
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const slow = a.tryLeadCleaning(async () => {
        started();
        await new Promise<void>((resolve) => (finish = resolve));
      });
      await running;
      let ranOnB = 0;
      expect(await b.tryLeadCleaning(async () => void ranOnB++)).toBe(false);
      // A second run on the leading replica takes another pooled session, which the lock refuses too.
      expect(await a.tryLeadCleaning(async () => void ranOnB++)).toBe(false);
      expect(ranOnB).toBe(0);
      finish();
      expect(await slow).toBe(true);
      expect(await b.tryLeadCleaning(async () => void ranOnB++)).toBe(true);
      expect(ranOnB).toBe(1);
    } finally {
      await close();
    }
  });

  it('releases the lock when the run throws, and passes the error on', async () => {
    const [a, b, close] = await twoReplicas();
    try {
      const failing = a.tryLeadCleaning(() => Promise.reject(new Error('batch failed')));
      await expect(failing).rejects.toThrow('batch failed');
      expect(await b.tryLeadCleaning(async () => undefined)).toBe(true);
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
      expect(rows.map((r) => r.version)).toEqual(STATE_MIGRATIONS.map((step) => step.version));
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
      expect(
        applied.filter((steps) => steps.length > 0).map((steps) => steps.map((step) => step.version)),
      ).toEqual([STATE_MIGRATIONS.map((step) => step.version)]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('refuse to start on a schema newer than this build knows, and change nothing', async () => {
    const url = await server.createDatabase();
    await (await openPostgresState({ url })).close();
    const newer = STATE_MIGRATIONS.length + 1;
    await withClient(url, (c) =>
      c.query(`insert into ${MIGRATIONS_TABLE} (version, description) values ($1, 'future')`, [newer]),
    );
    const opening = openPostgresState({ url });
    await expect(opening).rejects.toBeInstanceOf(StateSchemaTooNewError);
    await expect(opening).rejects.toThrow(
      `at version ${newer}, newer than the ${STATE_MIGRATIONS.length} this Latchkey knows`,
    );
    const count = await withClient(
      url,
      async (c) => (await c.query(`select count(*)::int as n from ${MIGRATIONS_TABLE}`)).rows[0].n,
    );
    expect(count).toBe(newer);
  });
});

describe('the PostgreSQL migrations', () => {
  it('have SQL for every shared step', () => {
    expect(withSql(STATE_MIGRATIONS, POSTGRES_MIGRATIONS, 'postgres')).toHaveLength(STATE_MIGRATIONS.length);
  });

  it('refuse a history with a gap, and change nothing', async () => {
    const url = await server.createDatabase();
    await (await openPostgresState({ url })).close();
    const gap = STATE_MIGRATIONS.length + 2;
    await withClient(url, (c) =>
      c.query(`insert into ${MIGRATIONS_TABLE} (version, description) values ($1, 'gap')`, [gap]),
    );
    // Known steps up to the gap, so the history is judged rather than found too new.
    const known = Array.from({ length: gap }, (_, i) => ({ version: i + 1, description: `step ${i + 1}` }));
    const sql = Object.fromEntries(known.map((step) => [step.version, 'select 1']));
    await withClient(url, async (c) => {
      await expect(migrate(c, known, sql)).rejects.toBeInstanceOf(StateMigrationError);
      const { rows } = await c.query(`select version from ${MIGRATIONS_TABLE} order by version`);
      expect(rows.map((r) => r.version)).toEqual([...STATE_MIGRATIONS.map((step) => step.version), gap]);
    });
  });
});

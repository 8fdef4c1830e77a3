/**
 * Faults on a real PostgreSQL: stopped, and hung (every server process SIGSTOPped). Operations reject with
 * StateUnavailableError within the configured bounds, never hang, and work again once the server is back,
 * without reopening the backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresState, type PostgresState } from '../../src/state/postgres/postgres-state.ts';
import { StateUnavailableError } from '../../src/state/runtime-state.ts';
import { startPostgres, type RunningPostgres } from '../support/postgres.ts';

const NOW = 1_750_000_000_000;
const LATER = NOW + 60_000;
const TIMEOUTS = { connectTimeoutMs: 1_000, statementTimeoutMs: 500, idleTimeoutMs: 30_000 };
/** The longest an operation may take: wait for a connection, then the statement and the client's grace. */
const BOUND_MS = TIMEOUTS.connectTimeoutMs + TIMEOUTS.statementTimeoutMs + 500 + 700;

let server: RunningPostgres;
let state: PostgresState;
beforeAll(async () => {
  server = await startPostgres();
  state = await openPostgresState({ url: server.url, timeouts: TIMEOUTS, maxConnections: 4 });
});
afterAll(async () => {
  server?.resume();
  await state?.close();
  await server?.stop();
});

/** Every kind of operation once, each expected to reject with StateUnavailableError within BOUND_MS. */
async function expectAllUnavailable(): Promise<void> {
  const operations: Array<[string, () => Promise<unknown>]> = [
    ['insert', () => state.insert('assertion_jti', 'x', { value: 1, expiresAtMs: LATER }, NOW)],
    [
      'insert with ownerLimit',
      () =>
        state.insert('assertion_jti', 'y', { value: 1, owner: 'o', expiresAtMs: LATER }, NOW, {
          ownerLimit: 3,
        }),
    ],
    ['get', () => state.get('assertion_jti', 'x', NOW)],
    ['consume', () => state.consume('assertion_jti', 'x', NOW)],
    [
      'compareAndSwap',
      () => state.compareAndSwap('assertion_jti', 'x', 1, { value: 2, expiresAtMs: LATER }, NOW),
    ],
    ['listByOwner', () => state.listByOwner('assertion_jti', 'o', NOW, 10)],
    ['deleteExpired', () => state.deleteExpired(NOW, 100)],
    ['counts', () => state.counts()],
    ['ping', () => state.ping()],
  ];
  // All at once: more operations than pooled connections, so some also wait for the pool.
  const outcomes = await Promise.all(
    operations.map(async ([name, run]) => {
      const started = performance.now();
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      return { name, error, ms: performance.now() - started };
    }),
  );
  for (const { name, error, ms } of outcomes) {
    expect(error, name).toBeInstanceOf(StateUnavailableError);
    expect(ms, name).toBeLessThan(BOUND_MS);
  }
}

async function expectWorking(key: string): Promise<void> {
  expect(await state.insert('assertion_jti', key, { value: key, expiresAtMs: LATER }, NOW)).toBe('created');
  expect((await state.consume('assertion_jti', key, NOW))?.value).toBe(key);
  await state.ping();
}

describe('PostgreSQL backend under faults', () => {
  it('rejects every operation with StateUnavailableError while the server is stopped, and recovers by itself', async () => {
    await expectWorking('before-stop');
    await server.stopServer();
    await expectAllUnavailable();
    await server.startServer();
    await expectWorking('after-start');
  });

  it('rejects within the bounds while the server hangs (SIGSTOP), and recovers when it resumes', async () => {
    await expectWorking('before-pause');
    server.pause();
    try {
      await expectAllUnavailable();
      // Still hung: a second round is bounded too (the broken connections were thrown away, not reused).
      await expectAllUnavailable();
    } finally {
      server.resume();
    }
    await expectWorking('after-resume');
  });

  it('rejects with StateUnavailableError after close, without touching the server', async () => {
    const other = await openPostgresState({ url: server.url, timeouts: TIMEOUTS });
    await other.close();
    await expect(other.ping()).rejects.toBeInstanceOf(StateUnavailableError);
  });

  it('rejects opening a backend on a stopped server with StateUnavailableError, within the connect timeout', async () => {
    await server.stopServer();
    try {
      const started = performance.now();
      await expect(openPostgresState({ url: server.url, timeouts: TIMEOUTS })).rejects.toBeInstanceOf(
        StateUnavailableError,
      );
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
    } finally {
      await server.startServer();
    }
  });
});

/**
 * Issue 11's bound, on the embedded backend: a million expired rows are cleaned while tokens keep flowing, and
 * the file shrinks back to what the live rows need (auto_vacuum = INCREMENTAL, see src/state/embedded/schema.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, expect, it } from 'vitest';
import { cleanOnce } from '../../src/state/cleaner.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import type { Timers } from '../../src/timers.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-cleaning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = 1_750_000_000_000;
const EXPIRED = 1_000_000;
const LIVE = 10_000;
const immediateTimers: Timers = {
  setTimeout: (callback) => setImmediate(callback),
  clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
};

/**
 * Writes rows shaped as the backend writes them (digested keys, JSON values, expiry growing with insertion as
 * in service), in one transaction without a journal, so setting up takes seconds.
 */
function seed(path: string, from: number, count: number, expiresAt: (i: number) => number): void {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144');
  const insert = db.prepare(
    'INSERT INTO records (kind, key_digest, owner, value, version, expires_at) VALUES (?, ?, ?, ?, 1, ?)',
  );
  db.exec('BEGIN');
  for (let i = from; i < from + count; i++) {
    const digest = createHash('sha256').update(`seed-${i}`).digest();
    insert.run('assertion_jti', digest, `client-${i % 500}`, `{"n":${i}}`, expiresAt(i));
  }
  db.exec('COMMIT');
  db.exec('PRAGMA journal_mode = WAL');
  db.close();
}

it('cleans a million expired rows while inserts keep flowing, and the file returns to what live rows need', async () => {
  const path = join(dir, 'big.sqlite');
  await (await openEmbeddedState({ path })).close();
  seed(path, 0, EXPIRED, (i) => NOW - 2 * EXPIRED + i);
  seed(path, EXPIRED, LIVE, () => NOW + 3_600_000);
  const peak = statSync(path).size;

  const state = await openEmbeddedState({ path });
  let cleaning = true;
  let flowed = 0;
  let slowest = 0;
  const traffic = (async () => {
    while (cleaning) {
      const started = performance.now();
      const result = await state.insert(
        'assertion_jti',
        `live-${flowed}`,
        { value: flowed, owner: 'busy', expiresAtMs: NOW + 3_600_000 },
        NOW,
      );
      expect(result).toBe('created');
      slowest = Math.max(slowest, performance.now() - started);
      flowed++;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const deps = { state, clock: () => NOW, timers: immediateTimers, onEvent: () => {} };
  const event = await cleanOnce(
    deps,
    { intervalMs: 0, batch: 5000, maxBatchesPerRun: 1000, pauseMs: 0 },
    new AbortController().signal,
  );
  cleaning = false;
  await traffic;
  expect(event).toMatchObject({
    type: 'cleaned',
    removed: { assertion_jti: EXPIRED },
    stoppedBy: 'caught-up',
  });
  // Each batch is one synchronous statement: an insert waits for at most one batch, then goes through.
  expect(flowed).toBeGreaterThan(100);
  expect(slowest).toBeLessThan(5000);
  const live = LIVE + flowed;
  expect((await state.counts()).get('assertion_jti')).toBe(live);
  await state.close();

  // The same live rows written into a new file: what they need.
  const fresh = join(dir, 'fresh.sqlite');
  await (await openEmbeddedState({ path: fresh })).close();
  seed(fresh, 0, live, () => NOW + 3_600_000);
  const needed = statSync(fresh).size;
  const after = statSync(path).size;
  console.log({
    peakMiB: peak / 2 ** 20,
    afterMiB: after / 2 ** 20,
    neededMiB: needed / 2 ** 20,
    flowed,
    slowestMs: slowest,
  });
  expect(after).toBeLessThan(peak / 10);
  // Live rows inserted while cleaning sit in a digest index that was a million rows wide: some pages stay
  // partly empty, hence twice the packed size and not exactly it.
  expect(after).toBeLessThanOrEqual(needed * 2 + 256 * 1024);
  // Deleting a row costs a random page of the key-digest index: ~25 µs a row, 25-90 s on two busy cores.
}, 300_000);

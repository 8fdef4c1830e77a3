import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EmbeddedState,
  embeddedStatePath,
  openEmbeddedState,
} from '../../src/state/embedded/embedded-state.ts';
import { migrate } from '../../src/state/embedded/schema.ts';
import { STATE_MIGRATIONS } from '../../src/state/migrations.ts';
import {
  StateSchemaTooNewError,
  StateUnavailableError,
  type RuntimeState,
} from '../../src/state/runtime-state.ts';
import { describeRuntimeStateConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `state-${++files}.sqlite`);
const rawDump = (state: RuntimeState) => (state as EmbeddedState).rawDump();

describeRuntimeStateConformance('embedded, a file', () => openEmbeddedState({ path: freshFile() }), {
  rawDump,
});
describeRuntimeStateConformance('embedded, :memory:', () => openEmbeddedState({ path: ':memory:' }), {
  rawDump,
});

const NOW = 1_750_000_000_000;

describe('embedded runtime state', () => {
  it('keeps records across close and reopen of its file', async () => {
    const path = freshFile();
    const first = await openEmbeddedState({ path });
    await first.insert(
      'revoked_token',
      'rt',
      { value: { family: 'f' }, owner: 'c', expiresAtMs: NOW + 60_000 },
      NOW,
    );
    await first.compareAndSwap(
      'revoked_token',
      'rt',
      1,
      { value: { family: 'f', gen: 2 }, expiresAtMs: NOW + 60_000 },
      NOW,
    );
    await first.close();
    const second = await openEmbeddedState({ path });
    expect(await second.get('revoked_token', 'rt', NOW)).toEqual({
      value: { family: 'f', gen: 2 },
      owner: undefined,
      expiresAtMs: NOW + 60_000,
      version: 2,
    });
    await second.close();
  });

  it('lives in the state folder under one file name', () => {
    expect(embeddedStatePath('/var/lib/latchkey')).toBe('/var/lib/latchkey/runtime-state.sqlite');
  });

  it('runs each migration once, however often the file is opened, and records when', async () => {
    const path = freshFile();
    await (await openEmbeddedState({ path, clock: () => NOW })).close();
    await (await openEmbeddedState({ path, clock: () => NOW + 1 })).close();
    const db = new DatabaseSync(path);
    expect(db.prepare('SELECT version, applied_at FROM schema_migrations').all()).toEqual(
      STATE_MIGRATIONS.map((step) => ({ version: step.version, applied_at: NOW })),
    );
    expect(migrate(db, NOW + 2)).toEqual([]);
    db.close();
  });

  it('runs only the missing steps on a file at an older version, in one transaction', () => {
    const db = new DatabaseSync(':memory:');
    const known = [
      { version: 1, description: 'one' },
      { version: 2, description: 'two' },
    ];
    const sql = { 1: 'CREATE TABLE a (x INTEGER) STRICT', 2: 'CREATE TABLE b (x INTEGER) STRICT' };
    expect(migrate(db, NOW, known.slice(0, 1), sql).map((s) => s.version)).toEqual([1]);
    expect(migrate(db, NOW, known, sql).map((s) => s.version)).toEqual([2]);
    // A failing step leaves nothing behind: neither its table nor its row in schema_migrations.
    const broken = [...known, { version: 3, description: 'three' }];
    expect(() =>
      migrate(db, NOW, broken, { ...sql, 3: 'CREATE TABLE c (x INTEGER); CREATE TABLE a (y)' }),
    ).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").all()).toEqual([]);
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 2 });
    db.close();
  });

  it('refuses to open a file migrated by a newer Latchkey, and leaves it untouched', async () => {
    const path = freshFile();
    await (await openEmbeddedState({ path })).close();
    const db = new DatabaseSync(path);
    const newer = STATE_MIGRATIONS.length + 1;
    db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
      newer,
      'x',
      NOW,
    );
    db.close();
    const opening = openEmbeddedState({ path });
    await expect(opening).rejects.toBeInstanceOf(StateSchemaTooNewError);
    await expect(opening).rejects.toThrow(`at version ${newer}, newer than the ${STATE_MIGRATIONS.length}`);
    const after = new DatabaseSync(path);
    expect(after.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: newer });
    after.close();
  });

  it('answers StateUnavailableError once closed, and when another process holds the file past the busy timeout', async () => {
    const path = freshFile();
    const state = await openEmbeddedState({ path, busyTimeoutMs: 50 });
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    await expect(
      state.insert('assertion_jti', 'k', { value: 1, expiresAtMs: NOW + 1 }, NOW),
    ).rejects.toBeInstanceOf(StateUnavailableError);
    other.exec('ROLLBACK');
    other.close();
    expect(await state.insert('assertion_jti', 'k', { value: 1, expiresAtMs: NOW + 1 }, NOW)).toBe('created');
    await state.close();
    await expect(state.ping()).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(state.get('assertion_jti', 'k', NOW)).rejects.toBeInstanceOf(StateUnavailableError);
  });

  it('uses WAL, NORMAL synchronous and incremental auto-vacuum on a file', async () => {
    const path = freshFile();
    await (await openEmbeddedState({ path })).close();
    const db = new DatabaseSync(path);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA auto_vacuum').get()).toEqual({ auto_vacuum: 2 });
    db.close();
  });
});

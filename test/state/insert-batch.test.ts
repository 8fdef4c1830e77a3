import { describe, expect, it } from 'vitest';
import {
  batchKey,
  insertBatcher,
  insertBatchResults,
  insertBatchRows,
  MAX_INSERT_BATCH,
  type BatchedInsert,
  type InsertBatchRows,
} from '../../src/state/postgres/insert-batch.ts';

const digest = (text: string) => Buffer.from(text);
const entry = (key: string, nowMs = 1000, kind: BatchedInsert['kind'] = 'assertion_jti'): BatchedInsert => ({
  kind,
  digest: digest(key),
  owner: 'c',
  value: JSON.stringify(key),
  expiresAtMs: 5000,
  nowMs,
});

describe('insertBatchRows', () => {
  it.each([
    ['distinct keys all go', [entry('a'), entry('b')], ['a', 'b'], 1000],
    ['a repeated key goes once, first', [entry('a', 1000), entry('b'), entry('a', 900)], ['a', 'b'], 900],
    ['one key in two kinds is two rows', [entry('a'), entry('a', 1000, 'revoked_token')], ['a', 'a'], 1000],
    ['the earliest clock decides expiry', [entry('a', 1200), entry('b', 1100)], ['a', 'b'], 1100],
  ])('%s', (_name, entries, keys, nowMs) => {
    const rows = insertBatchRows(entries);
    expect(rows.digests.map((d) => d.toString())).toEqual(keys);
    expect(rows.nowMs).toBe(nowMs);
    expect(rows.kinds).toHaveLength(keys.length);
    expect(rows.owners).toHaveLength(keys.length);
    expect(rows.values).toHaveLength(keys.length);
    expect(rows.expires).toHaveLength(keys.length);
  });
});

describe('insertBatchResults', () => {
  const created = (...keys: string[]) => new Set(keys.map((k) => batchKey('assertion_jti', digest(k))));
  it.each([
    ['created keys are created', [entry('a'), entry('b')], created('a', 'b'), ['created', 'created']],
    ['a key not created exists', [entry('a'), entry('b')], created('b'), ['exists', 'created']],
    [
      'only the first of a repeated key is created',
      [entry('a'), entry('a'), entry('a')],
      created('a'),
      ['created', 'exists', 'exists'],
    ],
    ['a repeat of a key that was there exists', [entry('a'), entry('a')], created(), ['exists', 'exists']],
    ['kinds are told apart', [entry('a', 1, 'revoked_token')], created('a'), ['exists']],
  ])('%s', (_name, entries, keys, results) => {
    expect(insertBatchResults(entries, keys)).toEqual(results);
  });
});

describe('insertBatcher', () => {
  it('sends what arrives in one turn as one batch, and the next turn as another', async () => {
    const sent: InsertBatchRows[] = [];
    const batcher = insertBatcher(async (rows) => {
      sent.push(rows);
      return new Set(rows.digests.map((d, i) => batchKey(rows.kinds[i]!, d)));
    });
    const first = await Promise.all([
      batcher.add(entry('a')),
      batcher.add(entry('b')),
      batcher.add(entry('a')),
    ]);
    const second = await batcher.add(entry('c'));
    expect(first).toEqual(['created', 'created', 'exists']);
    expect(second).toBe('created');
    expect(sent.map((rows) => rows.digests.length)).toEqual([2, 1]);
  });

  it(`sends at most ${MAX_INSERT_BATCH} at a time`, async () => {
    const sizes: number[] = [];
    const batcher = insertBatcher(async (rows) => {
      sizes.push(rows.digests.length);
      return new Set(rows.digests.map((d, i) => batchKey(rows.kinds[i]!, d)));
    });
    const n = 2 * MAX_INSERT_BATCH + 7;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => batcher.add(entry(`k${i}`))));
    expect(results.every((r) => r === 'created')).toBe(true);
    expect(sizes).toEqual([MAX_INSERT_BATCH, MAX_INSERT_BATCH, 7]);
  });

  it('rejects every insert of a batch that failed, and sends the next batch anyway', async () => {
    let fail = true;
    const batcher = insertBatcher(async (rows) => {
      if (fail) throw new Error('database down');
      return new Set(rows.digests.map((d, i) => batchKey(rows.kinds[i]!, d)));
    });
    const failed = await Promise.allSettled([batcher.add(entry('a')), batcher.add(entry('b'))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error('database down'));
    fail = false;
    await expect(batcher.add(entry('a'))).resolves.toBe('created');
  });
});

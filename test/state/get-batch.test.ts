import { describe, expect, it } from 'vitest';
import {
  getBatcher,
  getBatchKeys,
  getBatchResults,
  MAX_GET_BATCH,
  type BatchedGet,
  type GetBatchKeys,
  type KeyedRecordRow,
} from '../../src/state/postgres/get-batch.ts';

const entry = (key: string, nowMs = 1000, kind: BatchedGet['kind'] = 'refresh_token'): BatchedGet => ({
  kind,
  digest: Buffer.from(key),
  nowMs,
});
const row = (key: string, expiresAtMs = 5000, kind = 'refresh_token'): KeyedRecordRow => ({
  kind,
  key_digest: Buffer.from(key),
  owner: null,
  value: JSON.stringify(key),
  version: 1,
  expires_at: String(expiresAtMs),
});
/** What a database holding `rows` answers for `keys`, as the batch statement does. */
const database =
  (rows: readonly KeyedRecordRow[]) =>
  async (keys: GetBatchKeys): Promise<KeyedRecordRow[]> =>
    rows.filter(
      (r) =>
        Number(r.expires_at) > keys.nowMs &&
        keys.digests.some((d, i) => d.equals(r.key_digest) && keys.kinds[i] === r.kind),
    );

describe('getBatchKeys', () => {
  it.each([
    ['distinct keys all go', [entry('a'), entry('b')], ['a', 'b'], 1000],
    ['a repeated key goes once', [entry('a', 1000), entry('b'), entry('a', 900)], ['a', 'b'], 900],
    ['one key in two kinds is two keys', [entry('a'), entry('a', 1000, 'user')], ['a', 'a'], 1000],
    ['the earliest clock filters', [entry('a', 1200), entry('b', 1100)], ['a', 'b'], 1100],
  ])('%s', (_name, entries, digests, nowMs) => {
    const keys = getBatchKeys(entries);
    expect(keys.digests.map((d) => d.toString())).toEqual(digests);
    expect(keys.kinds).toHaveLength(digests.length);
    expect(keys.nowMs).toBe(nowMs);
  });
});

describe('getBatchResults', () => {
  it.each([
    ['each read gets its own record', [entry('a'), entry('b')], [row('b'), row('a')], ['a', 'b']],
    ['a key not found is absent', [entry('a'), entry('b')], [row('b')], [undefined, 'b']],
    ['a repeated key is found by both', [entry('a'), entry('a')], [row('a')], ['a', 'a']],
    ['kinds are told apart', [entry('a', 1000, 'user')], [row('a')], [undefined]],
    [
      "a record expired at one read's clock is absent for that read only",
      [entry('a', 1000), entry('a', 5000)],
      [row('a', 5000)],
      ['a', undefined],
    ],
  ])('%s', (_name, entries, rows, values) => {
    const results = getBatchResults(entries, rows);
    expect(results.map((r) => r && (JSON.parse(r.value) as string))).toEqual(values);
  });
});

describe('getBatcher', () => {
  it('sends the reads of one turn as one statement, and the next turn as another', async () => {
    const sent: GetBatchKeys[] = [];
    const send = database([row('a'), row('b'), row('c')]);
    const batcher = getBatcher(async (keys) => {
      sent.push(keys);
      return send(keys);
    });
    const first = await Promise.all([
      batcher.add(entry('a')),
      batcher.add(entry('x')),
      batcher.add(entry('a')),
    ]);
    const second = await batcher.add(entry('c'));
    expect(first.map((r) => r?.value)).toEqual(['"a"', undefined, '"a"']);
    expect(second?.value).toBe('"c"');
    expect(sent.map((keys) => keys.digests.length)).toEqual([2, 1]);
  });

  it(`sends at most ${MAX_GET_BATCH} at a time`, async () => {
    const sizes: number[] = [];
    const batcher = getBatcher(async (keys) => {
      sizes.push(keys.digests.length);
      return [];
    });
    const n = 2 * MAX_GET_BATCH + 3;
    await Promise.all(Array.from({ length: n }, (_, i) => batcher.add(entry(`k${i}`))));
    expect(sizes).toEqual([MAX_GET_BATCH, MAX_GET_BATCH, 3]);
  });

  it('rejects every read of a batch that failed, and sends the next batch anyway', async () => {
    let fail = true;
    const batcher = getBatcher(async (keys) => {
      if (fail) throw new Error('database down');
      return database([row('a')])(keys);
    });
    const failed = await Promise.allSettled([batcher.add(entry('a')), batcher.add(entry('b'))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.add(entry('a'))).resolves.toMatchObject({ value: '"a"' });
  });
});

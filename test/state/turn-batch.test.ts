import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../src/state/turn-batch.ts';

describe('TurnBatch', () => {
  it('runs what arrives in one turn as one group, in order, and the next turn as another', async () => {
    const groups: number[][] = [];
    const batch = new TurnBatch<number, string>((entries) => {
      groups.push(entries);
      return entries.map((e) => `r${e}`);
    }, 10);
    const first = await Promise.all([batch.add(1), batch.add(2), batch.add(3)]);
    const second = await batch.add(4);
    expect(first).toEqual(['r1', 'r2', 'r3']);
    expect(second).toBe('r4');
    expect(groups).toEqual([[1, 2, 3], [4]]);
  });

  it('runs at most max entries in a group', async () => {
    const sizes: number[] = [];
    const batch = new TurnBatch<number, number>(async (entries) => {
      sizes.push(entries.length);
      return entries.map((e) => e * 2);
    }, 4);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => batch.add(i)));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('down'))],
  ])('rejects every entry of a group whose run %s, and runs the next group anyway', async (_how, failing) => {
    let fail = true;
    const batch = new TurnBatch<number, number>((entries) => (fail ? failing() : entries), 10);
    const settled = await Promise.allSettled([batch.add(1), batch.add(2)]);
    expect(settled).toEqual([
      { status: 'rejected', reason: new Error('down') },
      { status: 'rejected', reason: new Error('down') },
    ]);
    fail = false;
    await expect(batch.add(3)).resolves.toBe(3);
  });

  it('refuses a max that is not a positive integer', () => {
    expect(() => new TurnBatch(() => [], 0)).toThrow(/max must be a positive integer/);
  });
});

import { describe, expect, it } from 'vitest';
import { loadLine, type LoadCounts } from '../../src/dev/load-line.ts';

const COUNTS: LoadCounts = { apis: 2, clientsInEffect: 3, clientsBlocked: 0, notReady: 0 };

describe('loadLine', () => {
  it.each<[string, LoadCounts, { file: string; line: number }[], string]>([
    ['says what is in effect after a clean load', COUNTS, [], 'applied: 2 APIs, 3 clients in effect'],
    [
      'counts the clients that cannot get a token apart, and the objects not ready',
      { ...COUNTS, clientsInEffect: 2, clientsBlocked: 1, notReady: 3 },
      [],
      'applied: 2 APIs, 2 clients in effect, 1 blocked, 3 objects not ready',
    ],
    [
      'says an invalid edit was rejected and the last good version still serves',
      COUNTS,
      [{ file: 'apis.yaml', line: 12 }],
      'rejected: apis.yaml:12; still serving the last good version (2 APIs, 3 clients in effect)',
    ],
    [
      'names each place once, in order, and counts the rest past three',
      { ...COUNTS, notReady: 1 },
      [
        { file: 'a.yaml', line: 3 },
        { file: 'a.yaml', line: 3 },
        { file: 'a.yaml', line: 9 },
        { file: 'b.yaml', line: 1 },
        { file: 'c.yaml', line: 4 },
        { file: 'd.yaml', line: 7 },
      ],
      'rejected: a.yaml:3, a.yaml:9, b.yaml:1 and 2 more; still serving the last good version (2 APIs, 3 clients in effect, 1 objects not ready)',
    ],
  ])('%s', (_, counts, rejected, line) => {
    expect(loadLine(counts, rejected)).toBe(line);
  });
});

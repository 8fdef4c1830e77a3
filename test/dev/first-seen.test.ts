import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FirstSeenRecord, stampFirstSeen } from '../../src/dev/first-seen.ts';
import type { DeclaredObject } from '../../src/store/objects.ts';
import { declare } from '../store/world.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const api = (ns: string, created = '') => declare.api(ns, 'api', { identifier: 'https://x' }, created);
const times = (objects: DeclaredObject[]) => objects.map((o) => o.metadata.creationTimestamp);

describe('stampFirstSeen', () => {
  it.each([
    ['a new object is seen now', new Map(), ['2026-01-01T00:00:00.000Z'], true],
    [
      'a known object keeps its time',
      new Map([['ResourceServer/a/api', '2025-06-01T00:00:00.000Z']]),
      ['2025-06-01T00:00:00.000Z'],
      false,
    ],
    [
      'an object gone is forgotten',
      new Map([
        ['ResourceServer/a/api', '2025-06-01T00:00:00.000Z'],
        ['ResourceServer/gone/api', '2025-01-01T00:00:00.000Z'],
      ]),
      ['2025-06-01T00:00:00.000Z'],
      true,
    ],
  ])('%s', (_, known, expected, changed) => {
    const result = stampFirstSeen([api('a')], known, T0);
    expect(times(result.objects)).toEqual(expected);
    expect(result.changed).toBe(changed);
    expect([...result.seen.keys()]).toEqual(['ResourceServer/a/api']);
  });

  it('ignores the creationTimestamp a manifest claims', () => {
    const result = stampFirstSeen([api('a', '1970-01-01T00:00:00Z')], new Map(), T0);
    expect(times(result.objects)).toEqual(['2026-01-01T00:00:00.000Z']);
  });
});

describe('FirstSeenRecord', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('keeps first-seen times across instances (restarts)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-first-seen-'));
    const path = join(dir, 'first-seen.json');
    await new FirstSeenRecord(path).stamp([api('a')], T0);
    const later = await new FirstSeenRecord(path).stamp([api('a'), api('b')], T0 + 60_000);
    expect(times(later)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z']);
  });

  it.each([
    ['not JSON', '{'],
    ['not a map of times', '{"objects": {"ResourceServer/a/api": 5}}'],
    ['no objects', '[]'],
  ])('refuses a record that is %s instead of forgetting who came first', async (_, text) => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-first-seen-'));
    const path = join(dir, 'first-seen.json');
    await writeFile(path, text);
    await expect(new FirstSeenRecord(path).stamp([api('a')], T0)).rejects.toThrow(path);
    expect(await readFile(path, 'utf8')).toBe(text);
  });
});

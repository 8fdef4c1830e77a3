import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeclaredInRecord, decideDeclaredIn, type Declaration } from '../../src/dev/declared-in.ts';

const CLIENT = 'OAuthClient/team-b/payments';
const NS = 'Namespace/team-b';
const d = (key: string, file: string): Declaration => ({ key, file });

describe('decideDeclaredIn', () => {
  it.each<[string, Declaration[], Record<string, string>, Record<string, string>, boolean]>([
    [
      'a new object is held by the only file that declares it',
      [d(CLIENT, 'b.yaml')],
      {},
      { [CLIENT]: 'b.yaml' },
      true,
    ],
    [
      'a new object declared twice in one load is held by the first file in order',
      [d(CLIENT, 'a.yaml'), d(CLIENT, 'b.yaml')],
      {},
      { [CLIENT]: 'a.yaml' },
      true,
    ],
    [
      'the file that declared it first keeps it when a file sorting before it declares it too',
      [d(CLIENT, 'a-newcomer.yaml'), d(CLIENT, 'z-team-b.yaml')],
      { [CLIENT]: 'z-team-b.yaml' },
      { [CLIENT]: 'z-team-b.yaml' },
      false,
    ],
    [
      'a Namespace keeps the file that declared it first, whatever file sorts last',
      [d(NS, 'm-team-b.yaml'), d(NS, 'z-newcomer.yaml')],
      { [NS]: 'm-team-b.yaml' },
      { [NS]: 'm-team-b.yaml' },
      false,
    ],
    [
      'when the holding file stops declaring it, the next in file order takes over',
      [d(CLIENT, 'c.yaml'), d(CLIENT, 'd.yaml')],
      { [CLIENT]: 'b.yaml' },
      { [CLIENT]: 'c.yaml' },
      true,
    ],
    [
      'an object no file declares is forgotten',
      [d(CLIENT, 'b.yaml')],
      { [CLIENT]: 'b.yaml', [NS]: 'gone.yaml' },
      { [CLIENT]: 'b.yaml' },
      true,
    ],
    [
      'objects are decided each on their own',
      [d(NS, 'a.yaml'), d(CLIENT, 'a.yaml'), d(CLIENT, 'b.yaml'), d(NS, 'b.yaml')],
      { [CLIENT]: 'b.yaml' },
      { [NS]: 'a.yaml', [CLIENT]: 'b.yaml' },
      true,
    ],
    ['nothing declared, nothing known', [], {}, {}, false],
  ])('%s', (_, declarations, known, expected, changed) => {
    const result = decideDeclaredIn(declarations, new Map(Object.entries(known)));
    expect(Object.fromEntries(result.holders)).toEqual(expected);
    expect(result.changed).toBe(changed);
  });

  it.each(['__proto__', 'constructor', ''])('treats the key %j as any other', (key) => {
    const result = decideDeclaredIn([d(key, 'a.yaml'), d(key, 'b.yaml')], new Map([[key, 'b.yaml']]));
    expect(result.holders.get(key)).toBe('b.yaml');
  });
});

describe('DeclaredInRecord', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('keeps which file declared each object first across instances (restarts)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-declared-in-'));
    const path = join(dir, 'declared-in.json');
    await new DeclaredInRecord(path).decide([d(CLIENT, 'z-team-b.yaml')]);
    const later = await new DeclaredInRecord(path).decide([
      d(CLIENT, 'a-newcomer.yaml'),
      d(CLIENT, 'z-team-b.yaml'),
    ]);
    expect(later.get(CLIENT)).toBe('z-team-b.yaml');
  });

  it.each([
    ['not JSON', '{'],
    ['not a map of files', '{"declarations": {"OAuthClient/team-b/payments": 5}}'],
    ['no declarations', '[]'],
  ])('refuses a record that is %s instead of forgetting who came first', async (_, text) => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-declared-in-'));
    const path = join(dir, 'declared-in.json');
    await writeFile(path, text);
    await expect(new DeclaredInRecord(path).decide([d(CLIENT, 'a.yaml')])).rejects.toThrow(path);
    expect(await readFile(path, 'utf8')).toBe(text);
  });
});

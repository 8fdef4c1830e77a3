import { describe, expect, it } from 'vitest';
import { DEFAULT_MANIFEST_LIMITS, readRefusal } from '../../src/manifests/limits.ts';
import { declaredObjects } from '../../bench/scale/scale-world.ts';

const MIB = 1024 * 1024;

describe('readRefusal', () => {
  it.each([
    { name: 'a small file', bytes: 2_000, folderBytes: 0, refused: undefined },
    { name: 'a file exactly at the limit', bytes: 8 * MIB, folderBytes: 0, refused: undefined },
    {
      name: 'the 10 MB file of issue 9',
      bytes: 10_000_000,
      folderBytes: 0,
      refused: 'the file is 10000000 bytes, over the limit of 8 MiB per manifest file: it is ignored',
    },
    {
      name: 'a file that takes the folder over its total',
      bytes: 2 * MIB,
      folderBytes: 63 * MIB,
      refused:
        "the folder's manifests are over the limit of 64 MiB in all: this file and the ones after it are ignored",
    },
  ])('$name', ({ bytes, folderBytes, refused }) => {
    expect(readRefusal('big.yaml', bytes, folderBytes, DEFAULT_MANIFEST_LIMITS)?.message).toBe(refused);
  });
});

describe('DEFAULT_MANIFEST_LIMITS', () => {
  it("holds the scale benchmark's world of 10,000 clients in one file (20,001 documents, 4.3 MB)", () => {
    const objects = declaredObjects(10_000);
    const text = objects.map((o) => JSON.stringify(o)).join('\n---\n');
    expect(objects.length).toBeLessThanOrEqual(DEFAULT_MANIFEST_LIMITS.maxDocumentsPerFile);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFAULT_MANIFEST_LIMITS.maxFileBytes);
  });
});

import { createHash } from 'node:crypto';
import type { RecordKind } from '../runtime-state.ts';

/**
 * The stored form of a record's key: `sha256(kind NUL key)` (runtime-state.ts). Keys are credentials or name
 * one, so only this digest leaves the process; the kind in the digest keeps one key in two kinds apart.
 */
export function keyDigest(kind: RecordKind, key: string): Buffer {
  return createHash('sha256').update(kind).update('\0').update(key, 'utf8').digest();
}

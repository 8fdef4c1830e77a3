import { createHash } from 'node:crypto';
import type { RecordKind } from './runtime-state.ts';

/**
 * What a backend stores in place of a key: `sha256(kind NUL key)`. Keys are credentials or name one (a code, a
 * refresh token, a `jti`), so a dump of the store must give nobody a usable token (issue 11). The kind is part
 * of the digest so one key in two kinds is two unrelated rows. A plain hash suffices: keys that are credentials
 * are 256-bit random values, which no dictionary reaches (design.md, client secrets).
 */
export function keyDigest(kind: RecordKind, key: string): Buffer {
  return createHash('sha256').update(kind).update('\0').update(key, 'utf8').digest();
}

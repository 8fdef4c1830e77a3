import { randomFillSync } from 'node:crypto';

const JTI_BYTES = 16;
const POOL_SIZE = JTI_BYTES * 256;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * A fresh 128-bit random token id, base64url (RFC 9068 §2.2 `jti`). Random bytes are drawn from the CSPRNG
 * in batches so the hot path does not ask the OS for 16 bytes at a time.
 */
export function newJti(): string {
  if (offset === POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const jti = pool.toString('base64url', offset, offset + JTI_BYTES);
  offset += JTI_BYTES;
  return jti;
}

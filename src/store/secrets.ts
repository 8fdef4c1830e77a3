import { createHash, randomBytes } from 'node:crypto';

/** Bytes of randomness in a generated client secret: 256 bits, so a digest compare is as safe as a slow KDF. */
export const CLIENT_SECRET_BYTES = 32;

/**
 * Shortest secret accepted from a Secret someone else wrote (`source: Existing`). Such a secret may
 * have been typed by a person; below this length a fast digest would not protect it from guessing.
 */
export const MIN_EXISTING_SECRET_LENGTH = 32;

export function newClientSecret(): string {
  return randomBytes(CLIENT_SECRET_BYTES).toString('base64url');
}

export function digestSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

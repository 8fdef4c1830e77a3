import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 of a credential, base64url: what a record holds where it must name another credential. */
export function digestOf(credential: string): string {
  return createHash('sha256').update(credential).digest('base64url');
}

/**
 * A new opaque credential or id: 256 random bits, base64url (43 characters), optionally prefixed
 * (`usr_` for user ids). Codes, refresh tokens, session ids, request ids and upstream `state` are all these.
 */
export function randomToken(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

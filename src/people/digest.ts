import { createHash, createHmac, randomBytes } from 'node:crypto';

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

/**
 * A {@link randomToken} (no prefix) kept in a record keyed by another credential `key`, readable only by whoever
 * presents `key` again: the token XOR HMAC-SHA256(key, purpose). The store keeps only a digest of `key`, so a
 * dump of it holds neither (records.ts: values never hold a credential). Its own inverse: sealing a sealed value
 * with the same key and purpose gives the token back.
 *
 * @example
 * const sealed = sealWith(state, 'request', requestId);
 * sealWith(state, 'request', sealed) === requestId; // true
 */
export function sealWith(key: string, purpose: string, token: string): string {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== 32 || bytes.toString('base64url') !== token) {
    throw new RangeError('only 256-bit base64url tokens can be sealed');
  }
  const pad = createHmac('sha256', key).update(purpose).digest();
  for (let i = 0; i < 32; i++) bytes[i] = (bytes[i] as number) ^ (pad[i] as number);
  return bytes.toString('base64url');
}

/**
 * A short code (a device's user code: at most 32 ASCII characters) kept in a record keyed by another credential
 * `key`, as {@link sealWith} keeps a token: XOR HMAC-SHA256(key, purpose), base64url. Its own inverse through
 * {@link unsealCode}.
 */
export function sealCode(key: string, purpose: string, code: string): string {
  const bytes = Buffer.from(code, 'latin1');
  if (bytes.length > 32 || bytes.toString('latin1') !== code)
    throw new RangeError('only short codes can be sealed');
  return xorPad(key, purpose, bytes).toString('base64url');
}

/** The code {@link sealCode} sealed with the same key and purpose. */
export function unsealCode(key: string, purpose: string, sealed: string): string {
  return xorPad(key, purpose, Buffer.from(sealed, 'base64url')).toString('latin1');
}

function xorPad(key: string, purpose: string, bytes: Buffer): Buffer {
  const pad = createHmac('sha256', key).update(purpose).digest();
  const out = Buffer.alloc(Math.min(bytes.length, 32));
  for (let i = 0; i < out.length; i++) out[i] = (bytes[i] as number) ^ (pad[i] as number);
  return out;
}

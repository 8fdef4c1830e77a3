import { randomInt, timingSafeEqual } from 'node:crypto';
import { digestOf, randomToken } from '../digest.ts';

/**
 * The two codes of a device authorization (RFC 8628 §3.2). The user code is what a person types: eight letters
 * from twenty consonants (§6.1: no vowels, so no words, and nothing that reads as a digit), shown as `XXXX-XXXX`,
 * about 34.6 bits. The device code is what the device polls with: the user code, a dot and 256 random bits. The
 * store keeps the authorization under the user code and only a digest of the whole device code, so the device
 * finds its record in one read and a guessed or leaked user code never polls.
 */

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** Longer than any code a person could mean, with spaces and dashes: refused before any work. */
const MAX_TYPED_LENGTH = 64;
const USER_CODE_SHAPE = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);
const DEVICE_CODE_SHAPE = new RegExp(`^([${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}})\\.[A-Za-z0-9_-]{43}$`);

/** A new user code, normalized (no dash); uniformly random over the alphabet. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** How a user code is shown: `BCDF-GHJK`. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * The user code a person typed, normalized: case, dashes and spaces do not matter (§6.1); anything else that is
 * not in the alphabet makes it no code at all (undefined).
 *
 * @example
 * normalizeUserCode(' bcdf-ghjk '); // 'BCDFGHJK'
 */
export function normalizeUserCode(typed: string): string | undefined {
  if (typed.length > MAX_TYPED_LENGTH) return undefined;
  const code = typed.replace(/[\s-]/g, '').toUpperCase();
  return USER_CODE_SHAPE.test(code) ? code : undefined;
}

/** A new device code for `userCode`. A credential: never logged, stored only as {@link digestOf} it. */
export function newDeviceCode(userCode: string): string {
  return `${userCode}.${randomToken()}`;
}

/** The user code a device code was made for, or undefined when it is not one of ours. */
export function userCodeOfDeviceCode(deviceCode: string): string | undefined {
  return DEVICE_CODE_SHAPE.exec(deviceCode)?.[1];
}

/** Whether `deviceCode` is the one whose digest a record holds, compared in constant time. */
export function deviceCodeMatches(deviceCode: string, deviceCodeDigest: string): boolean {
  const a = Buffer.from(digestOf(deviceCode));
  const b = Buffer.from(deviceCodeDigest);
  return a.length === b.length && timingSafeEqual(a, b);
}

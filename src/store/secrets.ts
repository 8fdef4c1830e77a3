import { createHash, randomBytes } from 'node:crypto';
import { parseDuration } from '../api/duration.ts';
import { SECRET_ROTATION_ANNOTATIONS } from '../api/oauth-client.ts';

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

/** Per holder: the values hashed so far and their digests, alternating (at most the secret and the previous). */
const digests = new WeakMap<object, (string | Buffer)[]>();

/**
 * {@link digestSecret}, remembered for as long as `holder` (the decoded Secret the value came from) lives:
 * the store recompiles every client on each change, and an unchanged Secret need not be hashed again. Looked
 * up by the value itself within the holder, so the digest always matches the value asked about.
 */
export function digestSecretOf(holder: object, secret: string): Buffer {
  let known = digests.get(holder);
  if (known === undefined) {
    known = [];
    digests.set(holder, known);
  }
  for (let i = 0; i < known.length; i += 2) if (known[i] === secret) return known[i + 1] as Buffer;
  const digest = digestSecret(secret);
  known.push(secret, digest);
  return digest;
}

/** The part of a generated Secret that says where its rotation stands. */
export interface RotationRecord {
  annotations?: Readonly<Record<string, string>> | undefined;
  creationTimestamp?: string | undefined;
  /** Whether the Secret still holds the previous secret. */
  hasPrevious: boolean;
}

/** Where a generated secret's rotation stands, in ms since the epoch; each absent when it does not apply. */
export interface RotationTimes {
  rotatedAt?: number;
  /** Until when the previous secret is accepted: only while the Secret holds one with a readable time. */
  previousValidUntil?: number;
  /** When `spec.secret.rotation.interval` is next due. */
  nextRotationAt?: number;
}

/**
 * Reads the rotation annotations of a generated Secret. Pure: the times are facts written into the Secret,
 * so every replica reads the same and none needs to remember anything.
 */
export function rotationTimesOf(
  rotation: { interval?: string | undefined } | undefined,
  record: RotationRecord,
): RotationTimes {
  const annotations = record.annotations ?? {};
  const rotatedAt = timeOf(annotations[SECRET_ROTATION_ANNOTATIONS.rotatedAt]);
  const validUntil = record.hasPrevious
    ? timeOf(annotations[SECRET_ROTATION_ANNOTATIONS.previousValidUntil])
    : undefined;
  const interval = rotation?.interval === undefined ? undefined : parseDuration(rotation.interval);
  const since = interval === undefined ? undefined : (rotatedAt ?? timeOf(record.creationTimestamp));
  return {
    ...(rotatedAt !== undefined ? { rotatedAt } : {}),
    ...(validUntil !== undefined ? { previousValidUntil: validUntil } : {}),
    ...(interval !== undefined && since !== undefined ? { nextRotationAt: since + interval } : {}),
  };
}

function timeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 in UTC with seconds precision, as Kubernetes writes times (`metav1.Time`). */
export function timeText(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

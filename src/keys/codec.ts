import { createPrivateKey } from 'node:crypto';
import type { JWK } from 'jose';
import { signingKeyFrom } from './generate.ts';
import type { KeyRecord, KeyRing } from './lifecycle.ts';
import { KEY_ALGORITHMS, type KeyAlgorithm } from './signing-keys.ts';

/** The data key under which the key set is stored, in the operator's Secret and the dev state file alike. */
export const KEYS_DATA_KEY = 'keys.json';

/** The stored key set is unreadable. Never answered with new keys: tokens signed by the old ones may be valid. */
export class KeyStoreCorruptError extends Error {
  readonly code = 'LATCHKEY_KEYS_CORRUPT';
}

interface StoredKey {
  alg: KeyAlgorithm;
  kid: string;
  privateJwk: JWK;
  /** RFC 3339; absent in version 1, which had no rotation. */
  createdAt?: string;
  activatesAt?: string;
  tokenLifetimeSeconds?: number;
}

export function encodeKeyRing(ring: KeyRing): string {
  const stored: StoredKey[] = ring.keys.map((r) => ({
    alg: r.key.alg as KeyAlgorithm,
    kid: r.key.kid,
    createdAt: new Date(r.createdAt).toISOString(),
    activatesAt: new Date(r.activatesAt).toISOString(),
    tokenLifetimeSeconds: r.tokenLifetimeSeconds,
    privateJwk: r.key.privateKey.export({ format: 'jwk' }) as JWK,
  }));
  const handled = Object.keys(ring.handled).length > 0 ? { handled: ring.handled } : {};
  return JSON.stringify({ version: 2, keys: stored, ...handled }, null, 2);
}

function time(value: unknown, field: string, where: string, i: number): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw new KeyStoreCorruptError(`${where}: keys[${i}].${field} ${JSON.stringify(value)} is not a time`);
  }
  return ms;
}

/**
 * Decodes a stored key set; `where` names the Secret or file in the error. Keys stored before rotation
 * existed (version 1) count as active since ever, so the schedule rotates them at once (publishing the new
 * key first), and as having no token lifetime yet: the leader records the current one on its next pass,
 * long before such a key retires.
 */
export function decodeKeyRing(text: string | undefined, where: string): KeyRing {
  if (text === undefined) throw new KeyStoreCorruptError(`${where}: key ${KEYS_DATA_KEY} is missing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new KeyStoreCorruptError(`${where}: ${KEYS_DATA_KEY} is not JSON`, { cause });
  }
  const list = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) {
    throw new KeyStoreCorruptError(`${where}: ${KEYS_DATA_KEY} holds no keys`);
  }
  const keys = list.map((entry: Partial<StoredKey>, i): KeyRecord => {
    if (!KEY_ALGORITHMS.includes(entry.alg as KeyAlgorithm)) {
      throw new KeyStoreCorruptError(
        `${where}: keys[${i}].alg ${String(entry.alg)} is not one of ${KEY_ALGORITHMS.join(', ')}`,
      );
    }
    let key;
    try {
      key = signingKeyFrom(
        entry.alg as KeyAlgorithm,
        createPrivateKey({ key: entry.privateJwk as JWK, format: 'jwk' }),
      );
    } catch (cause) {
      throw new KeyStoreCorruptError(`${where}: keys[${i}] is not a valid private key`, { cause });
    }
    if (key.kid !== entry.kid) {
      throw new KeyStoreCorruptError(`${where}: keys[${i}].kid does not match its key`);
    }
    if (entry.activatesAt === undefined && entry.createdAt === undefined) {
      return { key, createdAt: 0, activatesAt: 0, tokenLifetimeSeconds: 0 };
    }
    const lifetime = entry.tokenLifetimeSeconds;
    if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime < 0) {
      throw new KeyStoreCorruptError(`${where}: keys[${i}].tokenLifetimeSeconds is not a number of seconds`);
    }
    return {
      key,
      createdAt: time(entry.createdAt, 'createdAt', where, i),
      activatesAt: time(entry.activatesAt, 'activatesAt', where, i),
      tokenLifetimeSeconds: lifetime,
    };
  });
  const missing = KEY_ALGORITHMS.filter((alg) => !keys.some((r) => r.key.alg === alg));
  if (missing.length > 0) throw new KeyStoreCorruptError(`${where}: no key for ${missing.join(', ')}`);
  const h = (parsed as { handled?: Record<string, unknown> }).handled ?? {};
  const handled: KeyRing['handled'] = {};
  if (typeof h['rotate'] === 'string') handled.rotate = h['rotate'];
  if (typeof h['revoke'] === 'string') handled.revoke = h['revoke'];
  return { keys, handled };
}

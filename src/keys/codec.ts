import { createPrivateKey } from 'node:crypto';
import type { JWK } from 'jose';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../api/resource-server.ts';
import { signingKeyFrom } from './generate.ts';
import type { SigningKey } from './signing-keys.ts';

/** The data key under which the key set is stored, in the operator's Secret and the dev state file alike. */
export const KEYS_DATA_KEY = 'keys.json';

/** The stored key set is unreadable. Never answered with new keys: tokens signed by the old ones may be valid. */
export class KeyStoreCorruptError extends Error {
  readonly code = 'LATCHKEY_KEYS_CORRUPT';
}

interface StoredKey {
  alg: SigningAlgorithm;
  kid: string;
  privateJwk: JWK;
}

export function encodeKeys(keys: readonly SigningKey[]): string {
  const stored: StoredKey[] = keys.map((k) => ({
    alg: k.alg,
    kid: k.kid,
    privateJwk: k.privateKey.export({ format: 'jwk' }) as JWK,
  }));
  return JSON.stringify({ version: 1, keys: stored }, null, 2);
}

/** Decodes a stored key set; `where` names the Secret or file in the error. */
export function decodeKeys(text: string | undefined, where: string): SigningKey[] {
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
  const keys = list.map((entry: Partial<StoredKey>, i) => {
    if (!SIGNING_ALGORITHMS.includes(entry.alg as SigningAlgorithm)) {
      throw new KeyStoreCorruptError(
        `${where}: keys[${i}].alg ${String(entry.alg)} is not one of ${SIGNING_ALGORITHMS.join(', ')}`,
      );
    }
    let key: SigningKey;
    try {
      key = signingKeyFrom(
        entry.alg as SigningAlgorithm,
        createPrivateKey({ key: entry.privateJwk as JWK, format: 'jwk' }),
      );
    } catch (cause) {
      throw new KeyStoreCorruptError(`${where}: keys[${i}] is not a valid private key`, { cause });
    }
    if (key.kid !== entry.kid) {
      throw new KeyStoreCorruptError(`${where}: keys[${i}].kid does not match its key`);
    }
    return key;
  });
  const missing = SIGNING_ALGORITHMS.filter((alg) => !keys.some((k) => k.alg === alg));
  if (missing.length > 0) throw new KeyStoreCorruptError(`${where}: no key for ${missing.join(', ')}`);
  return keys;
}

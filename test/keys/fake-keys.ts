import type { KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from '../../src/api/resource-server.ts';
import type { KeyRecord } from '../../src/keys/lifecycle.ts';
import type { SigningKey } from '../../src/keys/signing-keys.ts';

/** A key as the lifecycle and the rotation decision see it: only `alg` and `kid` matter to them. */
export function fakeKey(alg: SigningAlgorithm, kid: string): SigningKey {
  return { alg, kid, privateKey: {} as KeyObject, publicJwk: Object.freeze({ kid, alg }) };
}

/** A stored key whose tokens live 5 minutes. */
export function rec(
  alg: SigningAlgorithm,
  kid: string,
  activatesAt: number,
  createdAt = activatesAt,
): KeyRecord {
  return { key: fakeKey(alg, kid), createdAt, activatesAt, tokenLifetimeSeconds: 300 };
}

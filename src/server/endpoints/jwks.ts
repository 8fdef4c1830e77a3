import type { FastifyInstance } from 'fastify';
import { JWKS_MAX_AGE_SECONDS, type SigningKeys } from '../../keys/signing-keys.ts';
import type { SnapshotSource } from '../../store/snapshot.ts';
import { allowOnly } from './method-not-allowed.ts';

interface Serialized {
  body: string;
  headers: Record<string, string>;
}

/**
 * Registers the JWK Set (RFC 7517 §5) of every published key, serialized once per key set. Its cache
 * lifetime comes with the key set, which keeps it well under the time a new key is published before it
 * signs (see src/keys/lifecycle.ts), so a cache honouring it always holds the key of any token it meets.
 */
export function registerJwks(app: FastifyInstance, source: SnapshotSource, path: string): void {
  const serialized = new WeakMap<SigningKeys, Serialized>();
  app.get(path, (_request, reply) => {
    const keys = source.current().keys;
    let s = serialized.get(keys);
    if (s === undefined) {
      s = {
        body: JSON.stringify({ keys: keys.published }),
        headers: {
          'cache-control': `public, max-age=${keys.maxAgeSeconds ?? JWKS_MAX_AGE_SECONDS}`,
          'content-type': 'application/json; charset=utf-8',
        },
      };
      serialized.set(keys, s);
    }
    return reply.headers(s.headers).send(s.body);
  });
  allowOnly(app, path, 'GET');
}

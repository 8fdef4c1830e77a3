import type { FastifyInstance } from 'fastify';
import type { SigningKeys } from '../../keys/signing-keys.ts';
import type { SnapshotSource } from '../../store/snapshot.ts';
import { METADATA_CACHE_CONTROL } from './discovery.ts';
import { allowOnly } from './method-not-allowed.ts';

/** Registers the JWK Set (RFC 7517 §5) of every published key, serialized once per key set. */
export function registerJwks(app: FastifyInstance, source: SnapshotSource, path: string): void {
  const serialized = new WeakMap<SigningKeys, string>();
  const headers = {
    'cache-control': METADATA_CACHE_CONTROL,
    'content-type': 'application/json; charset=utf-8',
  };
  app.get(path, (_request, reply) => {
    const keys = source.current().keys;
    let body = serialized.get(keys);
    if (body === undefined) {
      body = JSON.stringify({ keys: keys.published });
      serialized.set(keys, body);
    }
    return reply.headers(headers).send(body);
  });
  allowOnly(app, path, 'GET');
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CompiledClient, Snapshot, SnapshotSource } from '../store/snapshot.ts';

/**
 * CORS (WHATWG Fetch §3.2) for the endpoints a browser app calls itself: the token endpoint and userinfo,
 * for the origins its OAuthClient lists in `allowedOrigins` (issue 12, single-page apps). An origin is echoed
 * only for a client that lists it, never `*`, and never with `Access-Control-Allow-Credentials`: these
 * endpoints take no cookies.
 */

// Per snapshot, so the set is built once per configuration and goes with it.
const registeredOrigins = new WeakMap<Snapshot, ReadonlySet<string>>();

/** Whether some client of the snapshot lists `origin`: a preflight names no client, so this is all it can ask. */
export function anyClientAllows(snapshot: Snapshot, origin: string): boolean {
  let origins = registeredOrigins.get(snapshot);
  if (origins === undefined) {
    const built = new Set<string>();
    for (const client of snapshot.clients.values()) {
      for (const o of client.people?.allowedOrigins ?? []) built.add(o);
    }
    origins = built;
    registeredOrigins.set(snapshot, origins);
  }
  return origins.has(origin);
}

/** The CORS headers of an answer to `origin` about `client`: none unless the client lists the origin. */
export function corsHeaders(
  client: CompiledClient | undefined,
  origin: string | undefined,
): Readonly<Record<string, string>> {
  if (origin === undefined || client?.people?.allowedOrigins.includes(origin) !== true) return {};
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/**
 * Answers the CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) on `path` for an
 * origin some client lists; any other `OPTIONS` goes to `otherwise` (the endpoint's 405).
 */
export function registerPreflight(
  app: FastifyInstance,
  path: string,
  source: SnapshotSource,
  methods: readonly ('GET' | 'POST')[],
  otherwise: (request: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  app.options(path, async (request, reply) => {
    const origin = request.headers.origin;
    const method = request.headers['access-control-request-method'];
    if (
      typeof origin !== 'string' ||
      typeof method !== 'string' ||
      !methods.includes(method as 'GET' | 'POST') ||
      !anyClientAllows(source.current(), origin)
    ) {
      return otherwise(request, reply);
    }
    return reply
      .code(204)
      .headers({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': methods.join(', '),
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
        vary: 'Origin',
      })
      .send();
  });
}

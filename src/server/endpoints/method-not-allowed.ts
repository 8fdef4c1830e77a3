import type { FastifyInstance, HTTPMethods } from 'fastify';
import { InvalidRequest } from '../errors.ts';

// TRACE too: it is a method like the others here, answered 405 rather than 404 (issue 9).
const METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

/** What an endpoint serves: one method, or GET and POST (userinfo, OpenID Connect Core §5.3.1). */
export type AllowedMethods = 'GET' | 'POST' | 'GET and POST';

const ALLOW: Readonly<Record<AllowedMethods, string>> = {
  GET: 'GET, HEAD',
  POST: 'POST',
  'GET and POST': 'GET, HEAD, POST',
};

/** The 405 answer to `method` on an endpoint that serves `allowed`. */
export function methodNotAllowed(method: string, allowed: AllowedMethods): InvalidRequest {
  const use = allowed === 'GET and POST' ? 'GET or POST' : allowed;
  return new InvalidRequest(`${method} is not allowed here: use ${use}`, {
    status: 405,
    headers: { allow: ALLOW[allowed] },
  });
}

/**
 * Answers every other method on `path` with 405, an `Allow` header and an `invalid_request` body; methods in
 * `handledElsewhere` (a CORS preflight's `OPTIONS`) are left to their own route.
 */
export function allowOnly(
  app: FastifyInstance,
  path: string,
  allowed: AllowedMethods,
  handledElsewhere: readonly HTTPMethods[] = [],
): void {
  const served: readonly HTTPMethods[] = allowed === 'GET and POST' ? ['GET', 'POST'] : [allowed];
  app.route({
    method: METHODS.filter((m) => !served.includes(m) && !handledElsewhere.includes(m)),
    url: path,
    handler: async (request) => {
      throw methodNotAllowed(request.method, allowed);
    },
  });
}

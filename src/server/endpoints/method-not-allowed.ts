import type { FastifyInstance, HTTPMethods } from 'fastify';
import { InvalidRequest } from '../errors.ts';

// TRACE too: it is a method like the others here, answered 405 rather than 404 (issue 9).
const METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

/** Answers every other method on `path` with 405, an `Allow` header and an `invalid_request` body. */
export function allowOnly(app: FastifyInstance, path: string, allowed: 'GET' | 'POST'): void {
  const allow = allowed === 'GET' ? 'GET, HEAD' : 'POST';
  app.route({
    method: METHODS.filter((m) => m !== allowed),
    url: path,
    handler: async (request) => {
      throw new InvalidRequest(`${request.method} is not allowed here: use ${allowed}`, {
        status: 405,
        headers: { allow },
      });
    },
  });
}

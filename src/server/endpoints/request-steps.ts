import type { FastifyRequest } from 'fastify';
import type { CompiledClient, Snapshot } from '../../store/snapshot.ts';
import { authenticateClient, nonEmpty, type ClientAuthDeps, type ClientAuthOptions } from '../client-auth.ts';
import { InvalidRequest } from '../errors.ts';
import type { Form } from '../form.ts';

/** What the first steps of every authenticated endpoint (token, introspection, revocation) work on. */
export interface AuthenticatedRequest {
  readonly snapshot: Snapshot;
  readonly request: FastifyRequest;
  form: Form;
  client: CompiledClient | undefined;
}

export function parseBody(x: AuthenticatedRequest): void {
  // The form parser is the only body parser; no body at all means no Content-Type was sent.
  if (x.request.body === undefined || x.request.body === null) {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  x.form = x.request.body as Form;
}

// RFC 7662 §2.1 and RFC 7009 §2.1: a client authenticates at introspection and revocation exactly as at
// the token endpoint, so a resource server needs no other credential than its client's.
export async function authenticate(
  x: AuthenticatedRequest,
  deps: { clientAuth: ClientAuthDeps },
  options?: ClientAuthOptions,
): Promise<void> {
  const { authorization } = x.request.headers;
  x.client = (
    await authenticateClient(x.snapshot, authorization, x.form.params, deps.clientAuth, options)
  ).client;
}

/**
 * Whether the request carries a client credential: an Authorization header, a `client_secret` or a client
 * assertion. `client_id` alone is none: RFC 6749 §3.2.1 lets an unauthenticated request identify its client.
 */
export function sendsClientCredentials(x: AuthenticatedRequest): boolean {
  const { params } = x.form;
  return (
    x.request.headers.authorization !== undefined ||
    nonEmpty(params.client_secret) !== undefined ||
    nonEmpty(params.client_assertion) !== undefined ||
    nonEmpty(params.client_assertion_type) !== undefined
  );
}

import type { FastifyRequest } from 'fastify';
import { authenticateClient, nonEmpty } from '../server/client-auth.ts';
import { InvalidClient, quote } from '../server/errors.ts';
import { FailureCause } from '../server/failure-causes.ts';
import type { Form } from '../server/form.ts';
import type { CompiledClient, Snapshot } from '../store/snapshot.ts';
import type { PeopleDeps } from './deps.ts';

/**
 * Client authentication at the endpoints a client posts a form to besides the token endpoint, PAR (RFC 9126
 * §2.1) and device authorization (RFC 8628 §3.1): exactly the token endpoint's. A request without any credential
 * may name a public client (`tokenEndpointAuthMethod: none`) by `client_id` alone, as at the token endpoint.
 */
export async function authenticateFormClient(
  snapshot: Snapshot,
  request: FastifyRequest,
  form: Form,
  deps: PeopleDeps,
): Promise<CompiledClient> {
  const { params } = form;
  const credentials =
    request.headers.authorization !== undefined ||
    nonEmpty(params.client_secret) !== undefined ||
    nonEmpty(params.client_assertion) !== undefined ||
    nonEmpty(params.client_assertion_type) !== undefined;
  const clientId = nonEmpty(params.client_id);
  if (!credentials && clientId !== undefined) {
    const client = snapshot.clients.get(clientId);
    if (client?.authMethod === 'none') return client;
    throw new InvalidClient('client authentication is required', {
      detail: `client ${quote(clientId)} sent no credentials and is not a public client`,
      failure: client === undefined ? FailureCause.UnknownClient : FailureCause.MissingCredentials,
    });
  }
  return (await authenticateClient(snapshot, request.headers.authorization, params, deps.clientAuth)).client;
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, nonEmpty } from '../server/client-auth.ts';
import { allowOnly } from '../server/endpoints/method-not-allowed.ts';
import { InvalidClient, InvalidRequest, quote } from '../server/errors.ts';
import { FailureCause } from '../server/failure-causes.ts';
import type { Form } from '../server/form.ts';
import { fromFastifyError, sendError } from '../server/reply.ts';
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

/** What a client's form endpoint does once the client authenticated. */
export type ClientFormHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  form: Form,
  client: CompiledClient,
) => Promise<FastifyReply>;

/**
 * Registers `POST path` for a client posting a form (PAR, device authorization): the body must be a form, the
 * client authenticates by {@link authenticateFormClient}, other methods get 405, and every error is a JSON body
 * (RFC 6749 §5.2), never a page or a redirect.
 */
export function registerClientFormEndpoint(
  app: FastifyInstance,
  deps: PeopleDeps,
  path: string,
  handler: ClientFormHandler,
): void {
  app.post(
    path,
    { errorHandler: (err, _request, reply) => sendError(reply, fromFastifyError(err)) },
    async (request, reply) => {
      if (request.body === undefined || request.body === null) {
        throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
      }
      const form = request.body as Form;
      const client = await authenticateFormClient(deps.source.current(), request, form, deps);
      return handler(request, reply, form, client);
    },
  );
  allowOnly(app, path, 'POST');
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.ts';
import type { EventBus } from '../../events.ts';
import type { CompiledClient, Snapshot, SnapshotSource } from '../../store/snapshot.ts';
import { nonEmpty, type ClientAuthDeps } from '../client-auth.ts';
import {
  InvalidRequest,
  NO_STORE,
  UnauthorizedClient,
  UnsupportedGrantType,
  quote,
  toOAuthError,
} from '../errors.ts';
import { EMPTY_FORM, type Form } from '../form.ts';
import { GRANTS, type Grant, type Issued } from '../grants/index.ts';
import { fromFastifyError, sendError } from '../reply.ts';
import { allowOnly } from './method-not-allowed.ts';
import { authenticate, parseBody } from './request-steps.ts';

export interface TokenEndpointDeps {
  source: SnapshotSource;
  issuer: string;
  path: string;
  now: Clock;
  events: EventBus;
  clientAuth: ClientAuthDeps;
}

/** One token request as it moves through the steps. */
interface TokenExchange {
  readonly snapshot: Snapshot;
  readonly request: FastifyRequest;
  form: Form;
  client: CompiledClient | undefined;
  grant: Grant | undefined;
  issued: Issued | undefined;
}

type Step = (x: TokenExchange, deps: TokenEndpointDeps) => void | Promise<void>;

function checkGrantType(x: TokenExchange): void {
  const grantType = nonEmpty(x.form.params.grant_type);
  if (grantType === undefined) throw new InvalidRequest('grant_type is missing');
  const grant = GRANTS.get(grantType);
  if (grant === undefined) throw new UnsupportedGrantType(`grant_type ${quote(grantType)} is not supported`);
  x.grant = grant;
}

function checkClientMayUseGrant(x: TokenExchange): void {
  const client = x.client as CompiledClient;
  const grant = x.grant as Grant;
  if (!client.grantTypes.has(grant.type)) {
    throw new UnauthorizedClient(`this client may not use grant_type ${quote(grant.type)}`);
  }
}

async function dispatch(x: TokenExchange, deps: TokenEndpointDeps): Promise<void> {
  const client = x.client as CompiledClient;
  const grant = x.grant as Grant;
  const form = x.form;
  const params: Record<string, string> = Object.create(null);
  for (const name of grant.parameters) {
    const value = form.params[name];
    if (value !== undefined) params[name] = value;
  }
  x.issued = await grant.handler({
    snapshot: x.snapshot,
    client,
    params,
    resources: form.resources,
    issuer: deps.issuer,
    now: deps.now,
  });
}

/** The requested grant type when this server implements it; metrics label failures with it. */
function supportedGrantType(form: Form | undefined): string | undefined {
  const requested = form?.params.grant_type;
  return requested !== undefined && GRANTS.has(requested) ? requested : undefined;
}

/** The token endpoint (RFC 6749 §3.2), in the order its checks must run. */
const STEPS: readonly Step[] = [parseBody, authenticate, checkGrantType, checkClientMayUseGrant, dispatch];

/** Registers `POST <issuer path>/oauth2/token`; other methods get 405. */
export function registerTokenEndpoint(app: FastifyInstance, deps: TokenEndpointDeps): void {
  const fail = (reply: FastifyReply, err: unknown, x?: TokenExchange): FastifyReply => {
    const e = toOAuthError(fromFastifyError(err));
    if (e.status >= 500) reply.log.error({ err }, 'unexpected error');
    deps.events.emit('token.failed', {
      error: e.error,
      grantType: x?.grant?.type ?? supportedGrantType(x?.form),
      clientId: x?.client?.clientId,
      detail: e.detail,
    });
    return sendError(reply, e);
  };

  app.post(
    deps.path,
    { errorHandler: (err, _request, reply) => fail(reply, err) },
    async (request, reply) => {
      const x: TokenExchange = {
        snapshot: deps.source.current(),
        request,
        form: EMPTY_FORM,
        client: undefined,
        grant: undefined,
        issued: undefined,
      };
      try {
        for (const step of STEPS) {
          const pending = step(x, deps);
          if (pending !== undefined) await pending;
        }
      } catch (err) {
        return fail(reply, err, x);
      }
      const issued = x.issued as Issued;
      deps.events.emit('token.issued', {
        clientId: (x.client as CompiledClient).clientId,
        grantType: (x.grant as Grant).type,
        audience: issued.audience,
        algorithm: issued.algorithm,
        organizationId: issued.organizationId,
      });
      return reply.code(200).headers(NO_STORE).send(JSON.stringify(issued.response));
    },
  );
  allowOnly(app, deps.path, 'POST');
}

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
import { corsHeaders, registerPreflight } from '../cors.ts';
import type { Grant, Issued, PeopleGrantDeps } from '../grants/index.ts';
import { fromFastifyError, sendError } from '../reply.ts';
import { refusedBy } from '../presented-client.ts';
import { allowOnly, methodNotAllowed } from './method-not-allowed.ts';
import { authenticate, parseBody, sendsClientCredentials } from './request-steps.ts';

export interface TokenEndpointDeps {
  source: SnapshotSource;
  issuer: string;
  path: string;
  now: Clock;
  events: EventBus;
  clientAuth: ClientAuthDeps;
  /** The grants served, by `grant_type` (`servedGrants` in src/server/grants/index.ts). */
  grants: ReadonlyMap<string, Grant>;
  /** With runtime state: what the people grants need. */
  people?: PeopleGrantDeps;
}

/** One token request as it moves through the steps. */
interface TokenRequest {
  readonly snapshot: Snapshot;
  readonly request: FastifyRequest;
  form: Form;
  /** The client the token is for: the one that authenticated, or the one the grant names. */
  client: CompiledClient | undefined;
  /** Whether {@link TokenRequest.client} authenticated, rather than being named by the grant. */
  authenticated: boolean;
  grant: Grant | undefined;
  /** Only the parameters the grant reads; null prototype. */
  params: Readonly<Record<string, string>>;
  issued: Issued | undefined;
}

type Step = (x: TokenRequest, deps: TokenEndpointDeps) => void | Promise<void>;

/**
 * Client authentication, unless the grant may go without (RFC 7523 §2.1, RFC 8693 §2.1) and no credential
 * was sent. It runs before the grant type is checked, so a request without credentials is `invalid_client`
 * whatever its `grant_type`, except for the grants that need none.
 */
async function authenticateUnlessOptional(x: TokenRequest, deps: TokenEndpointDeps): Promise<void> {
  const requested = deps.grants.get(x.form.params.grant_type ?? '');
  if (requested?.clientAuthentication === 'optional' && !sendsClientCredentials(x)) return;
  await authenticate(x, deps, { publicClients: requested?.publicClients === true });
  x.authenticated = true;
}

function checkGrantType(x: TokenRequest, deps: TokenEndpointDeps): void {
  const grantType = nonEmpty(x.form.params.grant_type);
  if (grantType === undefined) throw new InvalidRequest('grant_type is missing');
  const grant = deps.grants.get(grantType);
  if (grant === undefined) throw new UnsupportedGrantType(`grant_type ${quote(grantType)} is not supported`);
  x.grant = grant;
  const params: Record<string, string> = Object.create(null);
  for (const name of grant.parameters) {
    const value = x.form.params[name];
    if (value !== undefined) params[name] = value;
  }
  x.params = params;
}

/** For a grant that carries its own credential: the client that credential stands for. */
async function identifyClient(x: TokenRequest, deps: TokenEndpointDeps): Promise<void> {
  const grant = x.grant as Grant;
  if (grant.identify === undefined) return;
  x.client = await grant.identify({
    snapshot: x.snapshot,
    authenticated: x.client,
    clientId: x.authenticated ? undefined : nonEmpty(x.form.params.client_id),
    params: x.params,
    assertions: deps.clientAuth.assertions,
  });
}

function checkClientMayUseGrant(x: TokenRequest): void {
  const client = x.client as CompiledClient;
  const grant = x.grant as Grant;
  if (!client.grantTypes.has(grant.type)) {
    const who = x.authenticated ? 'this client' : `client ${quote(client.clientId)}`;
    throw new UnauthorizedClient(`${who} may not use grant_type ${quote(grant.type)}`);
  }
}

async function dispatch(x: TokenRequest, deps: TokenEndpointDeps): Promise<void> {
  x.issued = await (x.grant as Grant).handler({
    snapshot: x.snapshot,
    client: x.client as CompiledClient,
    params: x.params,
    resources: x.form.resources,
    issuer: deps.issuer,
    now: deps.now,
    ...(deps.people === undefined ? {} : { people: deps.people }),
  });
}

/** The requested grant type when this server implements it; metrics label failures with it. */
function supportedGrantType(form: Form | undefined, deps: TokenEndpointDeps): string | undefined {
  const requested = form?.params.grant_type;
  return requested !== undefined && deps.grants.has(requested) ? requested : undefined;
}

/**
 * CORS for a browser app (issue 12): the origin is echoed when the client the request names, by credentials
 * or by `client_id`, lists it in `allowedOrigins`.
 */
function corsOf(x: TokenRequest | undefined): Readonly<Record<string, string>> {
  if (x === undefined) return {};
  const named = x.client ?? x.snapshot.clients.get(nonEmpty(x.form.params.client_id) ?? '');
  return corsHeaders(named, x.request.headers.origin);
}

/** The token endpoint (RFC 6749 §3.2), in the order its checks must run. */
const STEPS: readonly Step[] = [
  parseBody,
  authenticateUnlessOptional,
  checkGrantType,
  identifyClient,
  checkClientMayUseGrant,
  dispatch,
];

/** Registers `POST <issuer path>/oauth2/token`; other methods get 405. */
export function registerTokenEndpoint(app: FastifyInstance, deps: TokenEndpointDeps): void {
  const fail = (reply: FastifyReply, err: unknown, x?: TokenRequest): FastifyReply => {
    const e = toOAuthError(fromFastifyError(err));
    if (e.status >= 500) reply.log.error({ err }, 'unexpected error');
    deps.events.emit('token.failed', {
      error: e.error,
      grantType: x?.grant?.type ?? supportedGrantType(x?.form, deps),
      clientId: x?.client?.clientId,
      detail: e.detail,
      failure: e.failure,
      ...refusedBy(x),
    });
    return sendError(reply.headers(corsOf(x)), e);
  };

  app.post(
    deps.path,
    { errorHandler: (err, _request, reply) => fail(reply, err) },
    async (request, reply) => {
      const x: TokenRequest = {
        snapshot: deps.source.current(),
        request,
        form: EMPTY_FORM,
        client: undefined,
        authenticated: false,
        grant: undefined,
        params: EMPTY_FORM.params,
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
      return reply.code(200).headers(NO_STORE).headers(corsOf(x)).send(JSON.stringify(issued.response));
    },
  );
  registerPreflight(app, deps.path, deps.source, ['POST'], (request, reply) =>
    sendError(reply, methodNotAllowed(request.method, 'POST')),
  );
  allowOnly(app, deps.path, 'POST', ['OPTIONS']);
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.ts';
import type { EventBus } from '../../events.ts';
import type { RevocationStore } from '../../runtime/revocation-store.ts';
import type { CompiledClient, Snapshot, SnapshotSource } from '../../store/snapshot.ts';
import type { AccessTokenClaims } from '../claims.ts';
import { authenticateClient, nonEmpty, type ClientAuthDeps } from '../client-auth.ts';
import { InvalidRequest, NO_STORE, toOAuthError } from '../errors.ts';
import { EMPTY_FORM, type Form } from '../form.ts';
import { fromFastifyError, sendError } from '../reply.ts';
import { checkAccessToken } from '../token-check.ts';
import { allowOnly } from './method-not-allowed.ts';

export interface IntrospectionEndpointDeps {
  source: SnapshotSource;
  issuer: string;
  path: string;
  now: Clock;
  events: EventBus;
  revocations: RevocationStore;
  /** Shared with the token endpoint, so a client authenticates here exactly as there. */
  clientAuth: ClientAuthDeps;
}

/** One introspection request as it moves through the steps. */
interface Introspection {
  readonly snapshot: Snapshot;
  readonly request: FastifyRequest;
  readonly nowMs: number;
  form: Form;
  client: CompiledClient | undefined;
  token: string | undefined;
  claims: AccessTokenClaims | undefined;
  /** Set once the answer is `active: false`; says why, for events only. The remaining steps are skipped. */
  inactive: string | undefined;
}

type Step = (x: Introspection, deps: IntrospectionEndpointDeps) => void | Promise<void>;

/** RFC 7662 §2.2: the one answer for every token the caller may not learn about. */
const INACTIVE = JSON.stringify({ active: false });

function parseBody(x: Introspection): void {
  // The form parser is the only body parser; no body at all means no Content-Type was sent.
  if (x.request.body === undefined || x.request.body === null) {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  x.form = x.request.body as Form;
}

// RFC 7662 §2.1: the caller authenticates as at the token endpoint, so a resource server needs no other
// credential than its client's.
async function authenticate(x: Introspection, deps: IntrospectionEndpointDeps): Promise<void> {
  const { authorization } = x.request.headers;
  x.client = (await authenticateClient(x.snapshot, authorization, x.form.params, deps.clientAuth)).client;
}

// token_type_hint is not read: every token we issue is an access token, and RFC 7662 §2.1 has the server
// search all its token types whatever the hint says, so an unknown hint is no error either.
function readToken(x: Introspection): void {
  const token = nonEmpty(x.form.params.token);
  if (token === undefined) throw new InvalidRequest('token is missing');
  x.token = token;
}

async function verifyToken(x: Introspection, deps: IntrospectionEndpointDeps): Promise<void> {
  const check = await checkAccessToken(x.token as string, {
    issuer: deps.issuer,
    keys: x.snapshot.keys,
    nowMs: x.nowMs,
  });
  if (check.ok) x.claims = check.claims;
  else x.inactive = check.reason;
}

// A client learns about the tokens issued to itself, and a client that a ResourceServer names in
// spec.introspection about every token for that API; anything else looks exactly like an invalid token.
function checkCallerMayIntrospect(x: Introspection): void {
  const claims = x.claims as AccessTokenClaims;
  const caller = (x.client as CompiledClient).clientId;
  if (claims.client_id === caller) return;
  if (x.snapshot.apis.get(claims.aud)?.introspectors.has(caller) === true) return;
  x.inactive = 'not_permitted';
}

// This replica's revocations only: see RevocationStore.
function checkNotRevoked(x: Introspection, deps: IntrospectionEndpointDeps): void {
  if (deps.revocations.isRevoked((x.claims as AccessTokenClaims).jti, x.nowMs)) x.inactive = 'revoked';
}

/** The introspection endpoint (RFC 7662 §2), in the order its checks must run. */
const STEPS: readonly Step[] = [
  parseBody,
  authenticate,
  readToken,
  verifyToken,
  checkCallerMayIntrospect,
  checkNotRevoked,
];

/** RFC 7662 §2.2 members of an active token, in a fixed order; `org_*` only when the token has them. */
function activeResponse(claims: AccessTokenClaims): Record<string, unknown> {
  const body: Record<string, unknown> = { active: true };
  if (claims.scope !== undefined) body.scope = claims.scope;
  body.client_id = claims.client_id;
  body.token_type = 'Bearer';
  body.exp = claims.exp;
  body.iat = claims.iat;
  body.sub = claims.sub;
  body.aud = claims.aud;
  body.iss = claims.iss;
  body.jti = claims.jti;
  if (claims.org_id !== undefined) body.org_id = claims.org_id;
  if (claims.org_name !== undefined) body.org_name = claims.org_name;
  return body;
}

/** Registers `POST <issuer path>/oauth2/introspect`; other methods get 405. */
export function registerIntrospectionEndpoint(app: FastifyInstance, deps: IntrospectionEndpointDeps): void {
  const fail = (reply: FastifyReply, err: unknown, x?: Introspection): FastifyReply => {
    const e = toOAuthError(fromFastifyError(err));
    if (e.status >= 500) reply.log.error({ err }, 'unexpected error');
    deps.events.emit('request.failed', {
      endpoint: 'introspection',
      error: e.error,
      clientId: x?.client?.clientId,
      detail: e.detail,
    });
    return sendError(reply, e);
  };

  app.post(
    deps.path,
    { errorHandler: (err, _request, reply) => fail(reply, err) },
    async (request, reply) => {
      const x: Introspection = {
        snapshot: deps.source.current(),
        request,
        nowMs: deps.now(),
        form: EMPTY_FORM,
        client: undefined,
        token: undefined,
        claims: undefined,
        inactive: undefined,
      };
      try {
        for (const step of STEPS) {
          if (x.inactive !== undefined) break;
          const pending = step(x, deps);
          if (pending !== undefined) await pending;
        }
      } catch (err) {
        return fail(reply, err, x);
      }
      const clientId = (x.client as CompiledClient).clientId;
      if (x.inactive !== undefined) {
        deps.events.emit('token.introspected', { clientId, active: false, detail: x.inactive });
        return reply.code(200).headers(NO_STORE).send(INACTIVE);
      }
      deps.events.emit('token.introspected', { clientId, active: true });
      const body = activeResponse(x.claims as AccessTokenClaims);
      return reply.code(200).headers(NO_STORE).send(JSON.stringify(body));
    },
  );
  allowOnly(app, deps.path, 'POST');
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { StateUnavailableError, type StoredRecord } from '../../state/runtime-state.ts';
import type { CompiledConnection, ConnectionSignIn, Snapshot } from '../../store/snapshot.ts';
import type { Form } from '../../server/form.ts';
import type { PeopleClient } from '../authorize/redirect-uri.ts';
import type { PeopleDeps } from '../deps.ts';
import { signInConnectionKeys } from '../membership/organization.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { GITHUB_WEB, GOOGLE_ISSUER } from '../upstream/well-known.ts';
import { textsFor } from '../pages/texts.ts';
import type { AuthorizationRequestRecord } from '../records.ts';
import { RETRY_AFTER_SECONDS } from '../../server/errors.ts';

/** A Connection people can sign in through. */
export type SignInConnection = CompiledConnection & { signIn: ConnectionSignIn };

/** An authorization request being signed in for, with what the snapshot in force says about it. */
export interface SignInContext {
  requestId: string;
  stored: StoredRecord<AuthorizationRequestRecord>;
  client: PeopleClient;
  snapshot: Snapshot;
}

/** Paths of the hosted sign-in pages, below the issuer's path. */
export function signInPaths(deps: Pick<PeopleDeps, 'urls'>) {
  const login = deps.urls.paths.login;
  return {
    login,
    password: `${login}/password`,
    link: `${login}/link`,
    continue: `${login}/continue`,
    callback: deps.urls.paths.loginCallback,
    consent: deps.urls.paths.consent,
  };
}

/** A query parameter sent once as text; repeated or absent gives undefined. */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query !== undefined && Object.hasOwn(query, name) ? query[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** A form field (the form parser refuses repeated fields), or undefined. */
export function formParam(request: FastifyRequest, name: string): string | undefined {
  const form = request.body as Form | undefined;
  if (form === undefined || form === null || typeof form !== 'object' || !('params' in form))
    return undefined;
  return Object.hasOwn(form.params, name) ? form.params[name] : undefined;
}

const REQUEST_ID_SHAPE = /^[A-Za-z0-9_-]{1,200}$/;

/** The request and its client, while the request is pending and its client can still sign people in. */
export async function loadSignIn(
  deps: PeopleDeps,
  requestId: string | undefined,
): Promise<SignInContext | undefined> {
  if (requestId === undefined || !REQUEST_ID_SHAPE.test(requestId)) return undefined;
  const stored = await deps.state.get<AuthorizationRequestRecord>(
    'authorization_request',
    requestId,
    deps.now(),
  );
  if (stored === undefined) return undefined;
  const snapshot = deps.source.current();
  const client = snapshot.clients.get(stored.value.clientId);
  if (client?.people === undefined) return undefined;
  return { requestId, stored, client: client as PeopleClient, snapshot };
}

/**
 * The client's Connections that can sign people in, in its declared order; for an organization sign-in, only
 * those the organization enables too.
 */
export function offeredConnections(
  context: Pick<SignInContext, 'client' | 'snapshot' | 'stored'>,
): SignInConnection[] {
  const offered: SignInConnection[] = [];
  for (const key of signInConnectionKeys(context.client, context.stored.value.organization)) {
    const connection = context.snapshot.connections.get(key);
    if (connection?.signIn !== undefined) offered.push(connection as SignInConnection);
  }
  return offered;
}

/** `namespace/name`: how records and sessions name a Connection. */
export function connectionKey(connection: Pick<CompiledConnection, 'namespace' | 'name'>): string {
  return `${connection.namespace}/${connection.name}`;
}

/**
 * Where a Connection's sign-in starts, as far as is known without asking the upstream: what the login page's
 * CSP `form-action` must allow, since choosing it answers with a redirect there. Discovery may name another host;
 * the choice then answers with a link instead (see upstream-sign-in.ts).
 */
export function upstreamStartUrl(connection: SignInConnection): string | undefined {
  const { signIn } = connection;
  if (signIn.authorizationUrl !== undefined) return signIn.authorizationUrl;
  if (connection.type === 'github') return signIn.baseUrl ?? GITHUB_WEB;
  if (connection.type === 'google') return connection.issuer ?? GOOGLE_ISSUER;
  return connection.issuer;
}

/**
 * Runs a page handler, turning what it throws into a page: a runtime state that cannot answer is a 503 with
 * `Retry-After` (fail closed, issue 11), anything else a 500 that says nothing of what happened.
 */
export function pageHandler<T extends unknown[]>(
  handler: (request: FastifyRequest, reply: FastifyReply, ...rest: T) => Promise<FastifyReply>,
): (request: FastifyRequest, reply: FastifyReply, ...rest: T) => Promise<FastifyReply> {
  return async (request, reply, ...rest) => {
    try {
      return await handler(request, reply, ...rest);
    } catch (err) {
      const texts = textsFor();
      if (err instanceof StateUnavailableError) {
        return sendErrorPage(reply, {
          status: 503,
          title: texts.errorUnavailable,
          message: texts.errorUnavailableMessage,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      request.log.error({ err }, 'hosted page failed');
      return sendErrorPage(reply, { status: 500, title: texts.errorTitle, message: texts.errorGeneric });
    }
  };
}

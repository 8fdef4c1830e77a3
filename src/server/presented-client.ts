import type { RefusedBy } from '../refusal-log.ts';
import { parseUnverifiedJwt } from './assertion/jwt.ts';
import { nonEmpty, parseBasic } from './client-auth.ts';
import type { AuthenticatedRequest } from './endpoints/request-steps.ts';

/**
 * The client id a request names, whether or not it authenticated: the HTTP Basic user, else `client_id`,
 * else the `sub` of a client assertion (not verified). Undefined when it names none or what it sent cannot
 * be read; the secret, the header and the assertion themselves are never returned.
 *
 * @example
 * presentedClientId(undefined, { client_id: 'app.team-a', client_secret: 's' }); // 'app.team-a'
 */
export function presentedClientId(
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
): string | undefined {
  if (authorization !== undefined) {
    try {
      return parseBasic(authorization).clientId;
    } catch {
      return undefined;
    }
  }
  const bodyId = nonEmpty(params.client_id);
  if (bodyId !== undefined) return bodyId;
  const assertion = nonEmpty(params.client_assertion);
  if (assertion === undefined) return undefined;
  try {
    const sub = parseUnverifiedJwt(assertion).payload.sub;
    return typeof sub === 'string' && sub !== '' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who a refused request came from, for the refusal event: the id it named when no client authenticated, and
 * the namespace of the client when it is one in effect. Only refusals pay for this.
 */
export function refusedBy(x: AuthenticatedRequest | undefined): RefusedBy {
  if (x === undefined) return {};
  if (x.client !== undefined) return { namespace: x.client.namespace };
  const presented = presentedClientId(x.request.headers.authorization, x.form.params);
  if (presented === undefined) return {};
  const named = x.snapshot.clients.get(presented);
  return named === undefined
    ? { presentedClientId: presented }
    : { presentedClientId: presented, namespace: named.namespace };
}

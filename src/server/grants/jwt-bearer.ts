import { refusalOptions, type Refusal } from '../assertion/refusal.ts';
import { nonEmpty } from '../client-auth.ts';
import { InvalidGrant, InvalidRequest } from '../errors.ts';
import { issueAccessToken } from './client-credentials.ts';
import { federatedClientOf } from './federated-client.ts';
import type { Grant, IdentifyContext } from './grant.ts';

/** RFC 7523 §3.1: an assertion that does not check out is `invalid_grant`. */
const ASSERTION: Refusal = {
  parameter: 'assertion',
  refuse: (description, options) => new InvalidGrant(description, refusalOptions(options)),
};

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1): a JWT from the issuer of a
 * Connection (a projected ServiceAccount token, a CI system's OIDC token) is exchanged for an access token of
 * the OAuthClient that federates its subject. Client authentication is optional (RFC 7523 §3.1): the
 * assertion proves the workload's identity as a federated `client_assertion` would.
 *
 * @example
 * // grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<ServiceAccount token>&scope=read
 */
export const jwtBearer: Grant = {
  type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
  parameters: new Set(['assertion', 'scope', 'audience', 'organization']),
  clientAuthentication: 'optional',
  identify,
  handler: issueAccessToken,
};

function identify(ctx: IdentifyContext) {
  const assertion = nonEmpty(ctx.params.assertion);
  if (assertion === undefined) throw new InvalidRequest('assertion is missing');
  return federatedClientOf(ctx, assertion, ASSERTION);
}

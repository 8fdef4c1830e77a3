import { refusalOptions, type Refusal } from '../assertion/refusal.ts';
import { nonEmpty } from '../client-auth.ts';
import { InvalidRequest, quote } from '../errors.ts';
import { issueAccessToken } from './client-credentials.ts';
import { federatedClientOf } from './federated-client.ts';
import type { Grant, GrantContext, IdentifyContext, Issued } from './grant.ts';

/** RFC 8693 §3: the one token type this server issues. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * RFC 8693 §3 token types a subject token may be sent as. Each is accepted only when the token is a JWT from
 * the issuer of a Connection; an ID token or access token of such an issuer is one.
 */
export const SUBJECT_TOKEN_TYPES: readonly string[] = [
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:ietf:params:oauth:token-type:id_token',
  ACCESS_TOKEN_TYPE,
];

/** RFC 8693 §2.2.2: a subject token that is invalid or unacceptable is `invalid_request`. */
const SUBJECT_TOKEN: Refusal = {
  parameter: 'subject_token',
  refuse: (description, options) => new InvalidRequest(description, refusalOptions(options)),
};

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693): a JWT from the issuer of a
 * Connection is exchanged for an access token of the OAuthClient that federates its subject, for the API
 * `audience` or `resource` name. Impersonation only: the token is the client's own, as with the JWT bearer
 * grant; delegation (`actor_token`) is refused rather than ignored, so no caller believes it happened.
 *
 * @example
 * // grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=<ServiceAccount token>
 * //   &subject_token_type=urn:ietf:params:oauth:token-type:jwt&audience=https://orders
 */
export const tokenExchange: Grant = {
  type: 'urn:ietf:params:oauth:grant-type:token-exchange',
  parameters: new Set([
    'subject_token',
    'subject_token_type',
    'requested_token_type',
    'actor_token',
    'actor_token_type',
    'scope',
    'audience',
    'organization',
  ]),
  clientAuthentication: 'optional',
  identify,
  handler: issue,
};

function identify(ctx: IdentifyContext) {
  const { params } = ctx;
  const subjectToken = nonEmpty(params.subject_token);
  if (subjectToken === undefined) throw new InvalidRequest('subject_token is missing');
  const subjectType = nonEmpty(params.subject_token_type);
  if (subjectType === undefined) {
    throw new InvalidRequest(`subject_token_type is missing: send ${SUBJECT_TOKEN_TYPES[0]}`);
  }
  if (!SUBJECT_TOKEN_TYPES.includes(subjectType)) {
    throw new InvalidRequest(
      `subject_token_type ${quote(subjectType)} is not supported: send one of ${SUBJECT_TOKEN_TYPES.join(', ')}`,
    );
  }
  if (nonEmpty(params.actor_token) !== undefined || nonEmpty(params.actor_token_type) !== undefined) {
    throw new InvalidRequest(
      'actor_token is not supported: this server issues tokens for the subject itself, not delegated ones; omit actor_token and actor_token_type',
    );
  }
  // RFC 8693 §2.2.2 names no error for a type the server cannot issue; the request is then not one it can
  // serve, hence invalid_request.
  const requested = nonEmpty(params.requested_token_type);
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
    throw new InvalidRequest(
      `requested_token_type ${quote(requested)} is not supported: omit it or send ${ACCESS_TOKEN_TYPE}`,
    );
  }
  return federatedClientOf(ctx, subjectToken, SUBJECT_TOKEN);
}

async function issue(ctx: GrantContext): Promise<Issued> {
  const issued = await issueAccessToken(ctx);
  // RFC 8693 §2.2.1: issued_token_type is required; token_type stays Bearer for an access token.
  return { ...issued, response: { ...issued.response, issued_token_type: ACCESS_TOKEN_TYPE } };
}

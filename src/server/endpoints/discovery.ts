import type { FastifyInstance } from 'fastify';
import type { AuthMethod } from '../../api/oauth-client.ts';
import { ASSERTION_SIGNING_ALGORITHMS } from '../assertion/client-assertion.ts';
import { SUPPORTED_AUTH_METHODS } from '../../api/protocol-capabilities.ts';
import { ID_TOKEN_ALGORITHM } from '../../people/tokens/id-token.ts';
import { OIDC_SCOPES, PERSON_CLAIMS } from '../../people/tokens/scopes.ts';
import { InvalidRequest } from '../errors.ts';
import { servedGrants } from '../grants/index.ts';
import type { IssuerUrls } from '../issuer.ts';
import { sendError } from '../reply.ts';
import { allowOnly } from './method-not-allowed.ts';

export const METADATA_CACHE_CONTROL = 'public, max-age=300';

/** Methods of confidential clients: every endpoint that authenticates clients accepts them. */
const CONFIDENTIAL_METHODS: readonly AuthMethod[] = SUPPORTED_AUTH_METHODS.filter((m) => m !== 'none');

/** The claims an ID token or userinfo may carry (OpenID Connect Discovery 1.0 §3 `claims_supported`). */
const CLAIMS_SUPPORTED = [
  ...[
    'sub',
    'iss',
    'aud',
    'exp',
    'iat',
    'auth_time',
    'nonce',
    'amr',
    'sid',
    'at_hash',
    'azp',
    'org_id',
    'org_name',
  ],
  ...PERSON_CLAIMS,
];

/**
 * Authorization server metadata (RFC 8414 §2). It advertises only what works: API scopes are per API, so
 * `scopes_supported` is left out. Without people sign-in (no runtime state) there is no authorization
 * endpoint, and RFC 8414 §2 still requires `response_types_supported` while §3.2 forbids an empty array (strict
 * validators such as authlib's refuse both an empty and a missing list), so it lists only `none` (OAuth 2.0
 * Multiple Response Type Encoding Practices §4). With people sign-in it is also the OpenID provider metadata
 * (OpenID Connect Discovery 1.0 §3): see {@link openIdMetadata}.
 */
export function serverMetadata(urls: IssuerUrls, people = false): Record<string, unknown> {
  // A public client revokes its own tokens (RFC 7009 §2.1) but introspects nothing (RFC 7662 §2.1).
  const publicToo = people ? SUPPORTED_AUTH_METHODS : CONFIDENTIAL_METHODS;
  const machine = {
    issuer: urls.issuer,
    token_endpoint: urls.tokenEndpoint,
    jwks_uri: urls.jwksUri,
    grant_types_supported: [...servedGrants(people).keys()],
    token_endpoint_auth_methods_supported: [...publicToo],
    // RFC 8414 §2: required once private_key_jwt or client_secret_jwt is listed.
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
    response_types_supported: people ? ['code'] : ['none'],
    // Same client authentication as the token endpoint (RFC 7662 §2.1, RFC 7009 §2.1), hence the same lists.
    introspection_endpoint: urls.introspectionEndpoint,
    introspection_endpoint_auth_methods_supported: [...CONFIDENTIAL_METHODS],
    introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
    revocation_endpoint: urls.revocationEndpoint,
    revocation_endpoint_auth_methods_supported: [...publicToo],
    revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
  };
  return people ? { ...machine, ...openIdMetadata(urls) } : machine;
}

/**
 * The OpenID provider members (OpenID Connect Discovery 1.0 §3, RFC 9126 §5, RFC 9207 §3, RFC 7636 §6.2):
 * code flow only with the query response mode, PKCE with S256 only, ID tokens signed with RS256 (see
 * `ID_TOKEN_ALGORITHM`), public subject identifiers, and the scopes and claims people sign-in knows.
 */
export function openIdMetadata(urls: IssuerUrls): Record<string, unknown> {
  return {
    authorization_endpoint: urls.authorizationEndpoint,
    pushed_authorization_request_endpoint: urls.parEndpoint,
    // RFC 8628 §4.
    device_authorization_endpoint: urls.deviceAuthorizationEndpoint,
    require_pushed_authorization_requests: false,
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    userinfo_endpoint: urls.userinfoEndpoint,
    end_session_endpoint: urls.endSessionEndpoint,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [ID_TOKEN_ALGORITHM],
    scopes_supported: [...OIDC_SCOPES],
    claims_supported: CLAIMS_SUPPORTED,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
  };
}

/**
 * Serves the metadata at the RFC 8414 location and, with people sign-in, the same document at
 * `/.well-known/openid-configuration`. Without it that path answers 404: OpenID Connect Discovery 1.0 §3
 * requires members a machine-only server cannot truthfully fill (`authorization_endpoint`,
 * `subject_types_supported`, `id_token_signing_alg_values_supported`), and a partial document misleads
 * (go-oidc's verifier then assumes RS256 only). The body says where to look.
 */
export function registerDiscovery(app: FastifyInstance, urls: IssuerUrls, people = false): void {
  const body = JSON.stringify(serverMetadata(urls, people));
  const headers = {
    'cache-control': METADATA_CACHE_CONTROL,
    'content-type': 'application/json; charset=utf-8',
  };
  app.get(urls.paths.oauthMetadata, (_request, reply) => reply.headers(headers).send(body));
  allowOnly(app, urls.paths.oauthMetadata, 'GET');

  if (people) {
    app.get(urls.paths.openidConfiguration, (_request, reply) => reply.headers(headers).send(body));
    allowOnly(app, urls.paths.openidConfiguration, 'GET');
    return;
  }
  const metadataUrl = new URL(urls.paths.oauthMetadata, urls.issuer).href;
  const notOpenId = new InvalidRequest(
    `no OpenID Connect discovery here: this OAuth 2.0 authorization server's metadata (RFC 8414) is at ${metadataUrl}`,
    { status: 404 },
  );
  app.get(urls.paths.openidConfiguration, (_request, reply) => sendError(reply, notOpenId));
}

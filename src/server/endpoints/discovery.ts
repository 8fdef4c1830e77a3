import type { FastifyInstance } from 'fastify';
import { ASSERTION_SIGNING_ALGORITHMS } from '../assertion/client-assertion.ts';
import { SUPPORTED_AUTH_METHODS, SUPPORTED_GRANT_TYPES } from '../../api/protocol-capabilities.ts';
import { InvalidRequest } from '../errors.ts';
import type { IssuerUrls } from '../issuer.ts';
import { sendError } from '../reply.ts';
import { allowOnly } from './method-not-allowed.ts';

export const METADATA_CACHE_CONTROL = 'public, max-age=300';

/**
 * Authorization server metadata (RFC 8414 §2). It advertises only what works: scopes are per API, so
 * `scopes_supported` is left out, and there is no authorization endpoint yet. RFC 8414 §2 still requires
 * `response_types_supported` and §3.2 forbids an empty array (strict validators such as authlib's refuse
 * both an empty and a missing list), so it lists only `none` (OAuth 2.0 Multiple Response Type Encoding
 * Practices §4): nothing is issued from an authorization endpoint. Erratum 7793 of RFC 8414 proposes
 * omitting the member instead; that waits until validators accept it.
 */
export function serverMetadata(urls: IssuerUrls): Record<string, unknown> {
  return {
    issuer: urls.issuer,
    token_endpoint: urls.tokenEndpoint,
    jwks_uri: urls.jwksUri,
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    token_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS],
    // RFC 8414 §2: required once private_key_jwt or client_secret_jwt is listed.
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
    response_types_supported: ['none'],
    // Same client authentication as the token endpoint (RFC 7662 §2.1, RFC 7009 §2.1), hence the same lists.
    introspection_endpoint: urls.introspectionEndpoint,
    introspection_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS],
    introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
    revocation_endpoint: urls.revocationEndpoint,
    revocation_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
  };
}

/**
 * Serves the metadata at the RFC 8414 location only. `/.well-known/openid-configuration` answers 404 until
 * Latchkey is an OpenID provider: OpenID Connect Discovery 1.0 §3 requires members it cannot truthfully
 * fill (`authorization_endpoint`, `subject_types_supported`, `id_token_signing_alg_values_supported`), and a
 * partial document misleads (go-oidc's verifier then assumes RS256 only). The body says where to look.
 */
export function registerDiscovery(app: FastifyInstance, urls: IssuerUrls): void {
  const body = JSON.stringify(serverMetadata(urls));
  const headers = {
    'cache-control': METADATA_CACHE_CONTROL,
    'content-type': 'application/json; charset=utf-8',
  };
  app.get(urls.paths.oauthMetadata, (_request, reply) => reply.headers(headers).send(body));
  allowOnly(app, urls.paths.oauthMetadata, 'GET');

  const metadataUrl = new URL(urls.paths.oauthMetadata, urls.issuer).href;
  const notOpenId = new InvalidRequest(
    `no OpenID Connect discovery here: this OAuth 2.0 authorization server's metadata (RFC 8414) is at ${metadataUrl}`,
    { status: 404 },
  );
  app.get(urls.paths.openidConfiguration, (_request, reply) => sendError(reply, notOpenId));
}

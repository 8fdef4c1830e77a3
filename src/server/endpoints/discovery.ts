import type { FastifyInstance } from 'fastify';
import { ASSERTION_SIGNING_ALGORITHMS } from '../assertion/verifier.ts';
import { TOKEN_ENDPOINT_AUTH_METHODS } from '../client-auth.ts';
import { GRANTS } from '../grants/index.ts';
import type { IssuerUrls } from '../issuer.ts';
import { allowOnly } from './method-not-allowed.ts';

export const METADATA_CACHE_CONTROL = 'public, max-age=300';

/**
 * Authorization server metadata (RFC 8414 §2). It advertises only what works: no authorization endpoint
 * yet, hence no response types, and scopes are per API, so `scopes_supported` is left out.
 */
export function serverMetadata(urls: IssuerUrls): Record<string, unknown> {
  return {
    issuer: urls.issuer,
    token_endpoint: urls.tokenEndpoint,
    jwks_uri: urls.jwksUri,
    grant_types_supported: [...GRANTS.keys()],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    // RFC 8414 §2: required once private_key_jwt or client_secret_jwt is listed.
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
    response_types_supported: [],
    // Same client authentication as the token endpoint (RFC 7662 §2.1, RFC 7009 §2.1), hence the same lists.
    introspection_endpoint: urls.introspectionEndpoint,
    introspection_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
    revocation_endpoint: urls.revocationEndpoint,
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS],
  };
}

/** Serves the metadata at both the OpenID Connect and the RFC 8414 well-known locations. */
export function registerDiscovery(app: FastifyInstance, urls: IssuerUrls): void {
  const body = JSON.stringify(serverMetadata(urls));
  const headers = {
    'cache-control': METADATA_CACHE_CONTROL,
    'content-type': 'application/json; charset=utf-8',
  };
  for (const path of new Set([urls.paths.openidConfiguration, urls.paths.oauthMetadata])) {
    app.get(path, (_request, reply) => reply.headers(headers).send(body));
    allowOnly(app, path, 'GET');
  }
}

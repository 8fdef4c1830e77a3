/**
 * node-oidc-provider as `npm run bench:peers` runs it: client_credentials, one resource indicator per
 * algorithm with JWT access tokens (RFC 9068) for the bench's scope and lifetime, the bench's client and the
 * idle ones in its static configuration, its in-memory adapter (on a larger store). For the people cases, a
 * web client with the code and refresh grants and the dev interactions to sign in with. Plain `node:http` on
 * 127.0.0.1.
 * Started by peers-bench.ts.
 */

import '../lib/child-guard.ts';
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { OIDC_PROVIDER_READY, type OidcProviderConfig } from './peers-protocol.ts';
import { readConfig } from '../lib/protocol.ts';

const config = readConfig<OidcProviderConfig>();

// The sizes Latchkey generates (src/keys/generate.ts), so both sign the same amount of work.
function signingKeys(): JsonWebKey[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: 'bench-rs256', alg: 'RS256', use: 'sig' },
    { ...ec, kid: 'bench-es256', alg: 'ES256', use: 'sig' },
  ];
}

// Its default in-memory adapter keeps 1,000 entries in an LRU of its own and drops the oldest: the people
// cases store a code per exchange and a refresh token per rotation, so a pool of 1,500 codes lost its first
// half ("authorization code not found"). Its `setStorage` cannot help, the default adapter is built on a
// store of its own (lib/helpers/initialize_adapter.js): the same adapter class here, on a store with room for
// every record of a run.
const store = new LRU({ maxSize: 2_000_000 });
const adapter = (model: string) => new MemoryAdapter(model, store);

const resources = new Map(config.resources.map((r) => [r.identifier, r.alg]));
const people = config.people;

/** The people cases' web client: code with PKCE, rotating refresh tokens, RS256 ID tokens. */
function peopleClient(client: NonNullable<OidcProviderConfig['people']>) {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [client.redirectUri],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  };
}

const server = createServer({ keepAliveTimeout: 30_000 });

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      ...config.clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: config.scope,
      })),
      ...(people === undefined ? [] : [peopleClient(people)]),
    ],
    adapter,
    jwks: { keys: signingKeys() },
    scopes: ['openid', 'offline_access', config.scope],
    // Every use returns a new refresh token, as Latchkey and Keycloak (with revokeRefreshToken) do; by default
    // node-oidc-provider rotates only public clients' tokens.
    rotateRefreshToken: true,
    features: {
      clientCredentials: { enabled: true },
      // Its built-in login and consent pages, which sign anyone in: the people cases' browser posts them.
      devInteractions: { enabled: people !== undefined },
      resourceIndicators: {
        enabled: true,
        // The code and refresh exchanges name no `resource`: the one of the authorization request applies.
        useGrantedResource: () => true,
        // RFC 8707: the token is for the one API the request names; JWT format makes it RFC 9068.
        getResourceServerInfo: (_ctx: unknown, identifier: string) => {
          const alg = resources.get(identifier);
          if (alg === undefined) throw new errors.InvalidTarget();
          return {
            scope: config.scope,
            audience: identifier,
            accessTokenTTL: config.lifetimeSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? config.lifetimeSeconds,
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${OIDC_PROVIDER_READY}${issuer}\n`);
});

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
process.once('SIGINT', () => process.exit(0));

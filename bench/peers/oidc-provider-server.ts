/**
 * node-oidc-provider as `npm run bench:peers` runs it: client_credentials only, one resource indicator per
 * algorithm with JWT access tokens (RFC 9068) for the bench's scope and lifetime, the bench's client and the
 * idle ones in its static configuration, its default in-memory adapter. Plain `node:http` on 127.0.0.1.
 * Started by peers-bench.ts.
 */

import '../lib/child-guard.ts';
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors } from 'oidc-provider';
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

const resources = new Map(config.resources.map((r) => [r.identifier, r.alg]));

const server = createServer({ keepAliveTimeout: 30_000 });

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: config.scope,
    })),
    jwks: { keys: signingKeys() },
    scopes: [config.scope],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
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

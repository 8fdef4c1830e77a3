/**
 * A workload token issuer for the federation rounds, standing in for a cluster's ServiceAccount issuer: a real
 * HTTP server on 127.0.0.1 with OpenID Connect discovery and a JWK Set of a real RSA key, which Latchkey checks
 * as it checks any Connection of type `oidc`, and tokens shaped like projected ServiceAccount tokens.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

const KID = 'bench-sa-1';
/** A projected ServiceAccount token's default lifetime. */
const TOKEN_LIFETIME_SECONDS = 3600;

export interface WorkloadIssuer {
  issuer: string;
  /** The verification key, as the JWKS publishes it. */
  publicJwk: JWK;
  /** A token for `subject` with `audience`, valid from now for an hour. */
  mint(subject: string, audience: string): Promise<string>;
  close(): Promise<void>;
}

export async function startWorkloadIssuer(): Promise<WorkloadIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      return json({
        issuer,
        jwks_uri: `${issuer}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.url === '/openid/v1/jwks') return json({ keys: [publicJwk] });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(0, '127.0.0.1', () => resolve());
  });
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    publicJwk,
    mint: (subject, audience) => mint(privateKey, issuer, subject, audience),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function mint(key: CryptoKey, issuer: string, subject: string, audience: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const [, namespace = '', name = ''] = /^system:serviceaccount:([^:]+):(.+)$/.exec(subject) ?? [];
  return new SignJWT({
    iss: issuer,
    sub: subject,
    aud: [audience],
    iat: now,
    nbf: now,
    exp: now + TOKEN_LIFETIME_SECONDS,
    'kubernetes.io': { namespace, serviceaccount: { name } },
  })
    .setProtectedHeader({ alg: 'RS256', kid: KID })
    .sign(key);
}

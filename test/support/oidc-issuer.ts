/**
 * An OpenID Connect issuer, as a CI system's or a cluster's would be: a real HTTP server on 127.0.0.1 serving
 * discovery and a JWK Set whose keys the caller swaps, and RS256 signing keys to sign its tokens with. The
 * tests use it, and so does the token bench for its federation rounds (bench/token/workload-issuer.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface Signer {
  kid: string;
  privateKey: CryptoKey;
  /** The public key as the JWKS publishes it. */
  jwk: JWK;
}

export async function signer(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface TestIssuer {
  /** `http://127.0.0.1:<port>`, as discovery names it. */
  issuer: string;
  /** Replaces the keys of the JWKS. */
  publish(keys: JWK[]): void;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  let published: JWK[] = [];
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/openid-configuration') send(200, { issuer, jwks_uri: `${issuer}/jwks` });
    else if (req.url === '/jwks') send(200, { keys: published });
    else send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    publish: (keys) => {
      published = keys;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

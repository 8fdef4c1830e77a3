/**
 * The workload token issuer of the federation rounds, standing in for a cluster's ServiceAccount issuer: the
 * tests' OpenID Connect issuer (a real HTTP server with discovery and a JWK Set) publishing one RS256 key,
 * which Latchkey checks as it checks any Connection of type `oidc`, and tokens shaped like projected
 * ServiceAccount tokens.
 */

import { SignJWT, type JWK } from 'jose';
import { signer, startIssuer, type Signer } from '../../test/support/oidc-issuer.ts';

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
  const [upstream, key] = await Promise.all([startIssuer(), signer(KID)]);
  upstream.publish([key.jwk]);
  return {
    issuer: upstream.issuer,
    publicJwk: key.jwk,
    mint: (subject, audience) => serviceAccountToken(key, upstream.issuer, subject, audience),
    close: upstream.close,
  };
}

function serviceAccountToken(
  key: Signer,
  issuer: string,
  subject: string,
  audience: string,
): Promise<string> {
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
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .sign(key.privateKey);
}

/**
 * The HTTP requests that need runtime state (issue 11), for the tests that drive a shared state through token
 * servers (test/state/shared-state-http.test.ts) and through `latchkey operator` replicas
 * (test/integration/operator-postgres.test.ts): a `private_key_jwt` client assertion, whose `jti` is accepted
 * once; introspection, which checks revocations; revocation; and what they answer while the state is down.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { expect } from 'vitest';
import { basic, form, post, type Answer } from '../http/harness.ts';

/** RFC 7523 §2.2. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A `private_key_jwt` client's signing key, and the public JWK its declaration lists. */
export interface AssertionKey {
  privateKey: CryptoKey;
  /** The public key with its `kid`. */
  jwk: JWK;
}

export async function assertionKey(kid: string): Promise<AssertionKey> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid } };
}

export interface AssertionClaims {
  /** The client's id: `iss` and `sub` (RFC 7523 §3). */
  clientId: string;
  /** The authorization server's issuer, as `aud`. */
  audience: string;
  jti: string;
  /** `iat`; the assertion expires 60 s later. */
  nowS: number;
}

/** A client assertion signed with `key` (RFC 7523 §2.2, OpenID Connect Core §9). */
export function signAssertion(key: AssertionKey, claims: AssertionClaims): Promise<string> {
  return new SignJWT({ jti: claims.jti })
    .setProtectedHeader({ alg: 'ES256', kid: key.jwk.kid as string })
    .setIssuer(claims.clientId)
    .setSubject(claims.clientId)
    .setAudience(claims.audience)
    .setIssuedAt(claims.nowS)
    .setExpirationTime(claims.nowS + 60)
    .sign(key.privateKey);
}

/** `grant_type=client_credentials` authenticated with the client assertion `signed`. */
export function postAssertion(tokenEndpoint: string, signed: string): Promise<Answer> {
  return post(
    tokenEndpoint,
    form({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: signed }),
  );
}

export interface SecretCredentials {
  clientId: string;
  secret: string;
}

/** `grant_type=client_credentials` with HTTP Basic: reads no runtime state. */
export function clientCredentials(tokenEndpoint: string, credentials: SecretCredentials): Promise<Answer> {
  return post(tokenEndpoint, form({ grant_type: 'client_credentials' }), {
    authorization: basic(credentials.clientId, credentials.secret),
  });
}

/** Introspection (RFC 7662) or revocation (RFC 7009) of `token` at `<issuer>/oauth2/<path>`. */
export function tokenOperation(
  issuer: string,
  path: 'introspect' | 'revoke',
  token: string,
  credentials: SecretCredentials,
): Promise<Answer> {
  return post(`${issuer}/oauth2/${path}`, form({ token }), {
    authorization: basic(credentials.clientId, credentials.secret),
  });
}

/** What a request that needs runtime state answers while the state does not: fail closed, retry soon. */
export function expectTemporarilyUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('retry-after')).toBe('1');
  expect(answer.body).toEqual({
    error: 'temporarily_unavailable',
    error_description: 'the server cannot check this request now; try again shortly',
  });
}

/** `/readyz`'s body: `degraded` names the partial dependencies that are down, such as `state`. */
export interface ReadinessBody {
  status: string;
  reason?: string;
  degraded?: Record<string, string>;
}

/** `GET /readyz` or `/readyz/<name>` on an ops port of 127.0.0.1. */
export async function readiness(
  opsPort: number,
  path = '/readyz',
): Promise<{ status: number; body: ReadinessBody }> {
  const res = await fetch(`http://127.0.0.1:${opsPort}${path}`);
  return { status: res.status, body: (await res.json()) as ReadinessBody };
}

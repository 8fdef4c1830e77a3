import { createSecretKey } from 'node:crypto';
import type { OAuthClientSpec } from '../../api/oauth-client.ts';
import { AUTH_METHOD_CAPABILITIES } from '../../api/protocol-capabilities.ts';
import type { AddressPolicy } from '../../outbound/address-policy.ts';
import { parseClientKey, type ClientKey } from '../client-keys.ts';
import { Reason, type Problem } from '../reasons.ts';
import { digestSecretOf } from '../secrets.ts';
import type { AssertionKeys, CompiledClient } from '../snapshot.ts';
import type { SecretCondition } from './client-secret.ts';
import { jwksUriProblem } from './jwks-uri.ts';

/** How a compiled client authenticates at the token endpoint. */
export type ClientAuthentication = Pick<
  CompiledClient,
  'secretDigests' | 'previousSecretDigest' | 'assertionKeys'
>;

/**
 * What verifies a client's credentials, from its method (src/api/protocol-capabilities.ts): digests of a
 * secret sent as it is, the HMAC key of `client_secret_jwt`, or the public keys of `private_key_jwt`. A
 * client with federated identities only (no jwks, no jwksUri) has no keys of its own: its workloads present
 * their tokens from a Connection's issuer instead.
 */
export function clientAuthenticationOf(
  spec: OAuthClientSpec,
  secret: SecretCondition | undefined,
  problems: Problem[],
  policy: AddressPolicy | undefined,
): ClientAuthentication {
  const method = spec.tokenEndpointAuthMethod;
  const value = secret?.secret;
  const previous = secret?.previous;
  const from = secret?.from;
  if (AUTH_METHOD_CAPABILITIES[method].presents === 'sent') {
    if (value === undefined || from === undefined) return NO_DIGESTS;
    return {
      secretDigests: [digestSecretOf(from, value)],
      ...(previous !== undefined
        ? {
            previousSecretDigest: {
              value: digestSecretOf(from, previous.value),
              validUntilMs: previous.validUntilMs,
            },
          }
        : {}),
    };
  }
  if (method === 'client_secret_jwt' && value !== undefined) {
    // OpenID Connect Core §10.1: the HMAC key is the octets of the UTF-8 representation of the secret.
    const key = (text: string) => createSecretKey(Buffer.from(text, 'utf8'));
    return {
      secretDigests: [],
      assertionKeys: {
        kind: 'secret',
        keys: [key(value)],
        ...(previous !== undefined
          ? { previous: { value: key(previous.value), validUntilMs: previous.validUntilMs } }
          : {}),
      },
    };
  }
  if (method === 'private_key_jwt' && hasOwnKeys(spec)) {
    const assertionKeys = publicKeysOf(spec, problems, policy);
    return assertionKeys === undefined ? NO_DIGESTS : { secretDigests: [], assertionKeys };
  }
  return NO_DIGESTS;
}

const NO_DIGESTS: ClientAuthentication = { secretDigests: [] };

/** Whether a client declares keys of its own, or is a `private_key_jwt` client of federated identities only. */
export function hasOwnKeys(spec: OAuthClientSpec): boolean {
  const federated = spec.federatedIdentities ?? [];
  return federated.length === 0 || spec.jwks !== undefined || spec.jwksUri !== undefined;
}

/**
 * The public keys of a `private_key_jwt` client: the inline JWK Set parsed now, so a bad key is reported
 * on the object instead of failing requests, or the `jwksUri` the token endpoint fetches keys from.
 */
function publicKeysOf(
  spec: OAuthClientSpec,
  problems: Problem[],
  policy: AddressPolicy | undefined,
): AssertionKeys | undefined {
  if (spec.jwksUri !== undefined && spec.jwks === undefined) {
    const refused = jwksUriProblem(spec.jwksUri, policy);
    if (refused === undefined) return { kind: 'jwksUri', uri: spec.jwksUri };
    problems.push({
      reason: Reason.InvalidClientKeys,
      message: `spec.jwksUri: Latchkey will not fetch it: ${refused}`,
    });
    return undefined;
  }
  if (spec.jwks === undefined || spec.jwksUri !== undefined) {
    problems.push({
      reason: Reason.InvalidClientKeys,
      message: 'spec.jwks: private_key_jwt needs exactly one of spec.jwks and spec.jwksUri',
    });
    return undefined;
  }
  const keys: ClientKey[] = [];
  const before = problems.length;
  spec.jwks.keys.forEach((jwk, i) => {
    const parsed = parseClientKey(jwk);
    if (parsed.ok) keys.push(parsed.key);
    else {
      problems.push({
        reason: Reason.InvalidClientKeys,
        message: `spec.jwks.keys[${i}]: cannot verify assertions: ${parsed.message}`,
      });
    }
  });
  // One bad key fails the client: serving the others would hide a mistake until that key is needed.
  return problems.length === before ? { kind: 'jwks', keys } : undefined;
}

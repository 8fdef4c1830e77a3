import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthMethod } from '../api/oauth-client.ts';
import type { CompiledClient, Snapshot } from '../store/snapshot.ts';
import { InvalidClient, InvalidRequest, quote } from './errors.ts';

/** The ways this server accepts a shared secret; a client registered with either may use both. */
export const SECRET_AUTH_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface AuthenticatedClient {
  client: CompiledClient;
  /** How this request presented the secret. */
  method: 'client_secret_basic' | 'client_secret_post';
}

interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

// Compared against when the client is unknown, so an unknown id costs what a wrong secret does.
const DUMMY_DIGESTS: readonly Buffer[] = [createHash('sha256').update('latchkey:no-such-client').digest()];

// RFC 4648 §4 base64, padding required as RFC 7617 produces it.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PLUS = /\+/g;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Authenticates the client of a token request (RFC 6749 §2.3.1): HTTP Basic with the form-urlencoded id and
 * secret, or `client_id` and `client_secret` in the body. Secrets are checked by comparing their SHA-256
 * digest in constant time with each digest the client has.
 *
 * @param authorization the `Authorization` header, if any
 * @param params the form parameters
 * @throws {InvalidRequest} for malformed or contradictory credentials
 * @throws {InvalidClient} when authentication fails, for the same reason whatever the cause
 */
export function authenticateClient(
  snapshot: Snapshot,
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
): AuthenticatedClient {
  const triedBasic = authorization !== undefined;
  if (
    nonEmpty(params.client_assertion) !== undefined ||
    nonEmpty(params.client_assertion_type) !== undefined
  ) {
    throw new InvalidClient(
      'client_assertion is not supported: authenticate with client_secret_basic or client_secret_post',
      { triedBasic },
    );
  }
  const basic = authorization === undefined ? undefined : parseBasic(authorization);
  const bodyId = nonEmpty(params.client_id);
  const bodySecret = nonEmpty(params.client_secret);
  if (basic !== undefined && bodySecret !== undefined) {
    throw new InvalidRequest(
      'client_secret is sent both in the Authorization header and in the body: use one of them',
    );
  }
  if (basic !== undefined && bodyId !== undefined && bodyId !== basic.clientId) {
    throw new InvalidRequest('client_id in the body differs from the one in the Authorization header');
  }
  const clientId = basic?.clientId ?? bodyId;
  const secret = basic?.clientSecret ?? bodySecret;
  if (clientId === undefined) {
    if (secret !== undefined) throw new InvalidRequest('client_secret in the body needs client_id');
    throw new InvalidClient(
      'client authentication is required: send client_id and client_secret with HTTP Basic or in the body',
    );
  }

  const client = snapshot.clients.get(clientId);
  if (client !== undefined && !SECRET_AUTH_METHODS.includes(client.authMethod)) {
    throw new InvalidClient(
      `client ${quote(clientId)} is registered with token_endpoint_auth_method ${quote(client.authMethod)}, which is not supported yet: only client_secret_basic and client_secret_post are`,
      { triedBasic },
    );
  }
  if (secret === undefined) {
    throw new InvalidClient('client_secret is required', { triedBasic });
  }
  const presented = createHash('sha256').update(secret).digest();
  let match = false;
  for (const digest of client?.secretDigests ?? DUMMY_DIGESTS) {
    if (digest.length === presented.length && timingSafeEqual(digest, presented)) match = true;
  }
  if (client === undefined || !match) {
    throw new InvalidClient('client authentication failed', {
      triedBasic,
      detail:
        client === undefined
          ? `unknown client ${quote(clientId)}`
          : `wrong client_secret for ${quote(clientId)}`,
    });
  }
  return { client, method: basic === undefined ? 'client_secret_post' : 'client_secret_basic' };
}

/** Reads `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1, RFC 7617). */
export function parseBasic(authorization: string): BasicCredentials {
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? authorization : authorization.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') {
    throw new InvalidRequest('the token endpoint accepts only the Basic authorization scheme');
  }
  const token = space === -1 ? '' : authorization.slice(space + 1).trim();
  if (token.length === 0 || !BASE64.test(token)) {
    throw new InvalidRequest('malformed HTTP Basic credentials: expected base64 of client_id:client_secret');
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(token, 'base64'));
  } catch {
    throw new InvalidRequest('malformed HTTP Basic credentials: not UTF-8');
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) {
    throw new InvalidRequest('malformed HTTP Basic credentials: expected base64 of client_id:client_secret');
  }
  const clientId = formDecode(decoded.slice(0, colon));
  if (clientId.length === 0) throw new InvalidRequest('HTTP Basic credentials have an empty client_id');
  return { clientId, clientSecret: formDecode(decoded.slice(colon + 1)) };
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(PLUS, ' '));
  } catch {
    throw new InvalidRequest('malformed HTTP Basic credentials: bad percent-encoding');
  }
}

/** RFC 6749 §3.2: a parameter sent without a value is treated as omitted. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { SENT_SECRET_METHODS, SIGNED_ASSERTION_METHODS } from '../api/protocol-capabilities.ts';
import type { Clock } from '../clock.ts';
import type { CompiledClient, Snapshot } from '../store/snapshot.ts';
import { parseUnverifiedJwt } from './assertion/jwt.ts';
import { checkAssertionHeader, JWT_BEARER_ASSERTION_TYPE } from './assertion/client-assertion.ts';
import type { AssertionVerifier } from './assertion/verifier.ts';
import { clientAuthenticationFailed, InvalidClient, InvalidRequest, quote } from './errors.ts';
import { FailureCause, type FailureCauseName } from './failure-causes.ts';

type WorkingMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'client_secret_jwt' | 'none';

export interface AuthenticatedClient {
  client: CompiledClient;
  /** How this request authenticated. */
  method: WorkingMethod;
}

/** What client authentication needs besides the request; one per server, shared by its endpoints. */
export interface ClientAuthDeps {
  /** Verifies client assertions; sharing it shares the replay cache and the fetched key sets. */
  assertions: AssertionVerifier;
  /** Decides whether a rotated-out secret is still in its grace period. */
  now: Clock;
}

/** What the endpoint lets through besides credentials. */
export interface ClientAuthOptions {
  /**
   * A public client (`none`, with people sign-in settings) may identify itself by `client_id` alone
   * (RFC 6749 §2.1, §3.2.1): for the people grants and revocation (RFC 7009 §2.1), never elsewhere.
   */
  publicClients?: boolean;
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
 * Authenticates the client of a request to the token endpoint, or to another endpoint that authenticates
 * clients the same way (RFC 7662 §2.1, RFC 7009 §2.1):
 * - a shared secret (RFC 6749 §2.3.1): HTTP Basic with the form-urlencoded id and secret, or `client_id` and
 *   `client_secret` in the body, checked by comparing its SHA-256 digest in constant time;
 * - a JWT assertion (RFC 7523 §2.2): `client_assertion_type` and `client_assertion`, signed with the
 *   client's private key (`private_key_jwt`) or with its secret (`client_secret_jwt`).
 *
 * - no credential (`none`), with `options.publicClients`: `client_id` alone names a public client.
 *
 * A client uses the kind of credential its `tokenEndpointAuthMethod` names; the other kind is refused.
 * Only an assertion of a client with a `jwksUri` may cause I/O: a fetch of its keys on a cache miss.
 *
 * @param authorization the `Authorization` header, if any
 * @param params the form parameters
 * @throws {InvalidRequest} for malformed or contradictory credentials
 * @throws {InvalidClient} when authentication fails
 * @example
 * const { client } = await authenticateClient(snapshot, request.headers.authorization, form.params, deps.clientAuth);
 */
export async function authenticateClient(
  snapshot: Snapshot,
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
  deps: ClientAuthDeps,
  options: ClientAuthOptions = {},
): Promise<AuthenticatedClient> {
  if (
    nonEmpty(params.client_assertion) !== undefined ||
    nonEmpty(params.client_assertion_type) !== undefined
  ) {
    return authenticateWithAssertion(snapshot, authorization, params, deps);
  }
  if (options.publicClients === true) {
    const publicClient = publicClientOf(snapshot, authorization, params);
    if (publicClient !== undefined) return { client: publicClient, method: 'none' };
  }
  return authenticateWithSecret(snapshot, authorization, params, deps.now);
}

/**
 * The public client a request names by `client_id` in the body with no secret, when there is one; anything
 * else goes on to secret authentication and fails there as before, so nothing new is told about other clients.
 */
function publicClientOf(
  snapshot: Snapshot,
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
): CompiledClient | undefined {
  if (authorization !== undefined || nonEmpty(params.client_secret) !== undefined) return undefined;
  const clientId = nonEmpty(params.client_id);
  const client = clientId === undefined ? undefined : snapshot.clients.get(clientId);
  return client?.authMethod === 'none' && client.people !== undefined ? client : undefined;
}

async function authenticateWithAssertion(
  snapshot: Snapshot,
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
  deps: ClientAuthDeps,
): Promise<AuthenticatedClient> {
  // RFC 6749 §2.3: a client must not use more than one authentication method in a request.
  if (authorization !== undefined) {
    throw new InvalidRequest(
      'client_assertion and an Authorization header are both sent: use one way to authenticate the client',
    );
  }
  if (nonEmpty(params.client_secret) !== undefined) {
    throw new InvalidRequest(
      'client_assertion and client_secret are both sent: use one way to authenticate the client',
    );
  }
  const type = nonEmpty(params.client_assertion_type);
  if (type === undefined) {
    throw new InvalidClient(`client_assertion_type is missing: send ${JWT_BEARER_ASSERTION_TYPE}`, {
      failure: FailureCause.MissingCredentials,
    });
  }
  if (type !== JWT_BEARER_ASSERTION_TYPE) {
    throw new InvalidClient(
      `client_assertion_type ${quote(type)} is not supported: send ${JWT_BEARER_ASSERTION_TYPE}`,
      { failure: FailureCause.BadAssertion },
    );
  }
  const text = nonEmpty(params.client_assertion);
  if (text === undefined) {
    throw new InvalidClient('client_assertion is missing', { failure: FailureCause.MissingCredentials });
  }
  const jwt = parseUnverifiedJwt(text);

  // A workload of a client with federated identities sends its token from a Connection's issuer with
  // `client_id`; that token's `iss` is never the client itself, as a client's own assertion's is. The way is
  // chosen from the request alone, so which answer comes back cannot tell which clients exist (issue 9).
  const bodyId = nonEmpty(params.client_id);
  if (bodyId !== undefined && jwt.payload.iss !== bodyId) {
    const client = await deps.assertions.verifyFederated(snapshot, bodyId, jwt);
    return { client, method: 'private_key_jwt' };
  }

  // RFC 7523 §3: the assertion's `sub` is the client; `client_id`, optional here, must agree with it.
  const sub = jwt.payload.sub;
  if (typeof sub !== 'string' || sub === '') {
    throw new InvalidClient("client_assertion 'sub' is missing: it must be the client_id", {
      failure: FailureCause.BadAssertion,
    });
  }
  if (bodyId !== undefined && bodyId !== sub) {
    throw new InvalidClient(`client_id ${quote(bodyId)} differs from client_assertion 'sub' ${quote(sub)}`, {
      failure: FailureCause.BadAssertion,
    });
  }
  checkAssertionHeader(jwt);
  const client = snapshot.clients.get(sub);
  if (client === undefined) {
    throw clientAuthenticationFailed(`unknown client ${quote(sub)}`, {
      failure: FailureCause.UnknownClient,
    });
  }
  const method = client.authMethod;
  if (method !== 'private_key_jwt' && method !== 'client_secret_jwt') {
    throw clientAuthenticationFailed(
      `client ${quote(client.clientId)} is registered with token_endpoint_auth_method ${quote(method)}: it does not send a client_assertion`,
      { failure: FailureCause.WrongAuthMethod },
    );
  }
  await deps.assertions.verify(client, jwt);
  return { client, method };
}

function authenticateWithSecret(
  snapshot: Snapshot,
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
  now: Clock,
): AuthenticatedClient {
  const triedBasic = authorization !== undefined;
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
      { failure: FailureCause.MissingCredentials },
    );
  }

  if (secret === undefined) {
    throw new InvalidClient('client_secret is required', {
      triedBasic,
      failure: FailureCause.MissingCredentials,
    });
  }
  // Only a client registered with a shared secret can match; any other is compared with a dummy, so that
  // neither the answer nor its time tells whether the client exists or how it authenticates (issue 9).
  const found = snapshot.clients.get(clientId);
  const client = found !== undefined && SENT_SECRET_METHODS.includes(found.authMethod) ? found : undefined;
  const presented = createHash('sha256').update(secret).digest();
  let match = false;
  for (const digest of client?.secretDigests ?? DUMMY_DIGESTS) {
    if (sameDigest(digest, presented)) match = true;
  }
  // The secret a rotation replaced is compared whether or not its time is up, so the answer takes as long
  // either way; it counts only before its time (issue 4: rotation without downtime).
  const previous = client?.previousSecretDigest;
  if (previous !== undefined && sameDigest(previous.value, presented) && now() < previous.validUntilMs) {
    match = true;
  }
  if (client === undefined || !match) {
    throw clientAuthenticationFailed(secretFailure(clientId, found, client !== undefined), {
      triedBasic,
      failure: secretFailureCause(found, client !== undefined),
    });
  }
  return { client, method: basic === undefined ? 'client_secret_post' : 'client_secret_basic' };
}

/** What went wrong with a shared secret, for the private detail only. */
function secretFailure(clientId: string, found: CompiledClient | undefined, usesSecret: boolean): string {
  if (found === undefined) return `unknown client ${quote(clientId)}`;
  if (usesSecret) return `wrong client_secret for ${quote(clientId)}`;
  const method = quote(found.authMethod);
  return SIGNED_ASSERTION_METHODS.includes(found.authMethod)
    ? `client ${quote(clientId)} is registered with token_endpoint_auth_method ${method}: it sends a client_assertion (RFC 7523), not a client_secret`
    : `client ${quote(clientId)} is a public client (token_endpoint_auth_method ${method}): it sends client_id alone, and only for authorization_code, refresh_token and revocation`;
}

function secretFailureCause(found: CompiledClient | undefined, usesSecret: boolean): FailureCauseName {
  if (found === undefined) return FailureCause.UnknownClient;
  return usesSecret ? FailureCause.BadSecret : FailureCause.WrongAuthMethod;
}

function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
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

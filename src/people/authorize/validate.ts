import { InvalidRequest, InvalidScope, InvalidTarget, quote } from '../../server/errors.ts';
import { organizationOf } from '../../server/grants/client-credentials.ts';
import type { AuthorizationRequestRecord } from '../records.ts';
import { RequestNotSupported, UnsupportedResponseType } from './errors.ts';
import { all, repeatedParameter, single, type Params } from './parameters.ts';
import type { PeopleClient } from './redirect-uri.ts';
import type { ClientOrganization, CompiledClient } from '../../store/snapshot.ts';

type Prompt = AuthorizationRequestRecord['prompt'][number];
const PROMPTS: ReadonlySet<string> = new Set<Prompt>(['none', 'login', 'consent', 'select_account']);

// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
// max_age is a non-negative integer of seconds (OpenID Connect Core §3.1.2.1); nine digits is over 31 years.
const MAX_AGE = /^\d{1,9}$/;

/**
 * Checks an authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1, OAuth 2.1 §4.1.1) whose
 * client and redirect URI are already resolved, and returns what is stored of it. Every error it throws is one
 * the client may be told through its redirect URI.
 *
 * @throws {InvalidRequest} repeated parameters, a missing or non-S256 PKCE challenge, bad `prompt` or `max_age`
 * @throws {UnsupportedResponseType} for any `response_type` but `code`
 * @throws {RequestNotSupported} for a request object (`request`)
 */
export function validateAuthorizationRequest(
  params: Params,
  client: PeopleClient,
  redirectUri: string,
  context: { nowMs: number; pushed: boolean },
): AuthorizationRequestRecord {
  const repeated = repeatedParameter(params);
  if (repeated !== undefined)
    throw new InvalidRequest(`parameter ${quote(repeated)} is included more than once`);
  if (single(params, 'request') !== undefined) {
    throw new RequestNotSupported(
      'request objects are not supported: send the parameters themselves, or use PAR',
    );
  }
  checkResponseType(params);
  const codeChallenge = checkPkce(params);
  const maxAge = single(params, 'max_age');
  if (maxAge !== undefined && !MAX_AGE.test(maxAge)) {
    throw new InvalidRequest(`max_age must be a non-negative number of seconds, not ${quote(maxAge)}`);
  }
  return {
    clientId: client.clientId,
    redirectUri,
    scopes: parseScopes(single(params, 'scope')),
    state: single(params, 'state'),
    nonce: single(params, 'nonce'),
    codeChallenge,
    prompt: parsePrompt(single(params, 'prompt')),
    maxAgeSeconds: maxAge === undefined ? undefined : Number(maxAge),
    resources: checkResources(all(params, 'resource')),
    loginHint: single(params, 'login_hint'),
    ...askedOrganization(client, single(params, 'organization')),
    pushed: context.pushed,
    createdAtMs: context.nowMs,
  };
}

/**
 * `organization` of an authorization or device authorization request (an `org_id`, or the name of one of the
 * client's organizations, as Auth0 takes it): the sign-in is for it. Without it, a client that requires an
 * organization lets the person choose after they signed in.
 *
 * @throws {InvalidRequest} for an organization that does not list the client, or a client that denies them
 */
export function askedOrganization(
  client: CompiledClient,
  asked: string | undefined,
): { organization?: string } {
  if (asked === undefined || asked === '') return {};
  return { organization: (organizationOf(client, asked) as ClientOrganization).organization.id };
}

function checkResponseType(params: Params): void {
  const responseType = single(params, 'response_type');
  if (responseType === undefined)
    throw new InvalidRequest('response_type is missing: send response_type=code');
  if (responseType !== 'code') {
    // OAuth 2.1 §4 and RFC 9700 §2.1.2: no implicit or hybrid flows, whose tokens travel in the URL.
    throw new UnsupportedResponseType(`response_type ${quote(responseType)} is not supported: use code`);
  }
  const mode = single(params, 'response_mode');
  if (mode !== undefined && mode !== 'query') {
    throw new InvalidRequest(`response_mode ${quote(mode)} is not supported: use query`);
  }
}

/** RFC 7636 with OAuth 2.1 §4.1.1: a challenge is required of every client, and only S256 is accepted. */
function checkPkce(params: Params): string {
  const challenge = single(params, 'code_challenge');
  const method = single(params, 'code_challenge_method');
  if (challenge === undefined) {
    throw new InvalidRequest('code_challenge is required (PKCE with code_challenge_method=S256)');
  }
  // RFC 7636 §4.3: an absent method means `plain`, which would let a stolen code be redeemed (RFC 9700 §2.1.1).
  if (method !== 'S256') {
    const sent = method === undefined ? 'absent (plain)' : quote(method);
    throw new InvalidRequest(`code_challenge_method must be S256; it is ${sent}`);
  }
  if (!S256_CHALLENGE.test(challenge)) {
    throw new InvalidRequest(
      'code_challenge must be 43 base64url characters: the S256 hash of the code_verifier',
    );
  }
  return challenge;
}

/** The requested scopes, deduplicated in request order (RFC 6749 §3.3). */
export function parseScopes(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const scopes: string[] = [];
  for (const token of scope.split(' ')) {
    if (token === '') continue;
    if (!SCOPE_TOKEN.test(token))
      throw new InvalidScope(`scope ${quote(token)} has characters a scope cannot have`);
    if (!scopes.includes(token)) scopes.push(token);
  }
  return scopes;
}

/**
 * The `prompt` values, deduplicated (OpenID Connect Core §3.1.2.1).
 *
 * @throws {InvalidRequest} for an unknown value, or `none` with any other
 */
export function parsePrompt(prompt: string | undefined): Prompt[] {
  if (prompt === undefined) return [];
  const values: Prompt[] = [];
  for (const value of prompt.split(' ')) {
    if (value === '') continue;
    if (!PROMPTS.has(value)) throw new InvalidRequest(`prompt ${quote(value)} is not supported`);
    if (!values.includes(value as Prompt)) values.push(value as Prompt);
  }
  if (values.includes('none') && values.length > 1) {
    throw new InvalidRequest('prompt=none cannot be combined with other prompt values');
  }
  return values;
}

/** RFC 8707 §2: each `resource` is an absolute URI without a fragment. */
export function checkResources(resources: readonly string[]): string[] {
  for (const resource of resources) {
    if (!URL.canParse(resource) || resource.includes('#')) {
      throw new InvalidTarget(`resource ${quote(resource)} must be an absolute URI without a fragment`);
    }
  }
  return [...new Set(resources)];
}

import { createHash } from 'node:crypto';

import { randomToken } from '../digest.ts';
import { upstreamJson, type UpstreamDeps } from './upstream-http.ts';
import { UpstreamSignInError } from './upstream.ts';

/**
 * The OAuth 2.0 client side Latchkey plays towards an upstream (`oidc`, `google`, `github`): the authorization
 * request with PKCE, the checks on the callback and the code exchange (RFC 6749 §4.1, RFC 7636, RFC 9207).
 */

/** RFC 7636 §4.1–4.2: a 256-bit verifier (43 base64url characters) and its S256 challenge. */
export function pkcePair(): { codeVerifier: string; codeChallenge: string } {
  const codeVerifier = randomToken();
  return { codeVerifier, codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url') };
}

/**
 * The authorization URL: `endpoint` with the request parameters added (RFC 6749 §3.1: a query the endpoint
 * already has is kept, and a parameter it already has is replaced, never sent twice).
 */
export function authorizationUrl(endpoint: string, params: Record<string, string>): string {
  const url = endpointUrl(endpoint, 'authorization endpoint');
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

/**
 * An endpoint URL from a Connection or a discovery document; the operator checks what it can, but a URL that
 * does not parse must fail the sign-in with a message, not the request with a 500.
 *
 * @throws {UpstreamSignInError} `connection_incomplete`
 */
export function endpointUrl(value: string, what: string): URL {
  if (!URL.canParse(value)) {
    throw new UpstreamSignInError(
      'connection_incomplete',
      `This sign-in method is not set up completely: its ${what} is not a URL.`,
    );
  }
  return new URL(value);
}

/** The scopes to request: the type's own first, then the Connection's, each once. */
export function scopeParameter(own: readonly string[], extra: readonly string[]): string {
  return [...new Set([...own, ...extra])].join(' ');
}

/** `error` codes an upstream may send back that are safe to repeat (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6). */
const KNOWN_ERRORS = new Set([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
  'invalid_client',
  'invalid_grant',
  'unsupported_grant_type',
  // GitHub's (docs.github.com, "Troubleshooting OAuth app access token request errors").
  'redirect_uri_mismatch',
  'application_suspended',
  'incorrect_client_credentials',
  'bad_verification_code',
  'unverified_user_email',
]);

/** The upstream's `error` code when it is a registered one; anything else is not repeated to a person. */
export function knownError(error: unknown): string {
  return typeof error === 'string' && KNOWN_ERRORS.has(error) ? error : 'an unrecognised error';
}

/**
 * The code from the callback, after the checks that come before any exchange: the RFC 9207 `iss` (when the
 * upstream sends it or promises to, it must be the issuer the request went to: mix-up defence), then an
 * `error` the upstream sent (RFC 6749 §4.1.2.1). The `state` is the caller's to check.
 *
 * @throws {UpstreamSignInError} `issuer_mismatch`, `upstream_error` or `code_missing`
 */
export function codeFromCallback(
  callback: URLSearchParams,
  issuer?: { issuer: string; alsoAccepted?: readonly string[]; promised: boolean },
): string {
  if (issuer !== undefined) {
    const iss = callback.get('iss');
    const accepted = iss !== null && (iss === issuer.issuer || (issuer.alsoAccepted ?? []).includes(iss));
    if ((iss !== null || issuer.promised) && !accepted) {
      throw new UpstreamSignInError(
        'issuer_mismatch',
        'The sign-in answer came from a different provider than the one the sign-in started at.',
      );
    }
  }
  const error = callback.get('error');
  if (error !== null) {
    throw new UpstreamSignInError(
      'upstream_error',
      `The sign-in provider did not sign you in (${knownError(error)}).`,
    );
  }
  const code = callback.get('code');
  if (code === null || code === '') {
    throw new UpstreamSignInError('code_missing', 'The sign-in provider sent back no authorization code.');
  }
  return code;
}

/** Latchkey as the upstream's client at its token endpoint. */
export interface TokenClient {
  clientId: string;
  clientSecret?: string;
  /** RFC 6749 §2.3.1: HTTP Basic (`client_secret_basic`), or the secret in the body (`client_secret_post`). */
  secretIn: 'basic' | 'post';
}

/**
 * Exchanges the code at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5) and returns the token response
 * (§5.1). A client without a secret is a public client: `client_id` in the body, PKCE alone.
 *
 * @throws {UpstreamSignInError} `token_exchange_failed` with the upstream's `error` code when it is a known one
 */
export async function exchangeCode(
  tokenUrl: URL,
  client: TokenClient,
  grant: { code: string; redirectUri: string; codeVerifier: string },
  deps: UpstreamDeps,
): Promise<Record<string, unknown> & { access_token: string }> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.codeVerifier,
  });
  const headers: Record<string, string> = { accept: 'application/json' };
  const secret = client.clientSecret;
  if (secret !== undefined && client.secretIn === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(client.clientId)}:${formEncode(secret)}`).toString('base64')}`;
  } else {
    form.set('client_id', client.clientId);
    if (secret !== undefined) form.set('client_secret', secret);
  }
  const answer = await upstreamJson(tokenUrl, { method: 'POST', headers, form }, 'the token endpoint', deps);
  const json = answer.json;
  const body =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  // GitHub answers 200 with an `error` member; everyone else a 4xx (RFC 6749 §5.2).
  if (answer.status !== 200 || body.error !== undefined || typeof body.access_token !== 'string') {
    const why = body.error === undefined ? `answered ${answer.status}` : knownError(body.error);
    throw new UpstreamSignInError(
      'token_exchange_failed',
      `The sign-in provider did not accept Latchkey's sign-in code (${why}).`,
    );
  }
  return body as Record<string, unknown> & { access_token: string };
}

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

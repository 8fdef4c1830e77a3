import { OAuthError, type OAuthErrorOptions } from '../../server/errors.ts';

/**
 * The authorization endpoint's own error codes (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6, RFC 9126 §2.3).
 * They travel to the client in the redirect's query, or as a JSON body from the PAR endpoint (status 400).
 */

/** `unsupported_response_type`: only `code` is served (OAuth 2.1 §4.1: no implicit grant). */
export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type';
  override readonly name = 'UnsupportedResponseType';
  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `request_not_supported`: request objects (OpenID Connect Core §6.1) are not accepted. */
export class RequestNotSupported extends OAuthError {
  readonly error = 'request_not_supported';
  override readonly name = 'RequestNotSupported';
  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `invalid_request_uri`: a `request_uri` that is not one this server issued through PAR, or is spent. */
export class InvalidRequestUri extends OAuthError {
  readonly error = 'invalid_request_uri';
  override readonly name = 'InvalidRequestUri';
  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `login_required`: `prompt=none` and the person would have to sign in (OpenID Connect Core §3.1.2.6). */
export class LoginRequired extends OAuthError {
  readonly error = 'login_required';
  override readonly name = 'LoginRequired';
  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `consent_required`: `prompt=none` and the person would have to consent (OpenID Connect Core §3.1.2.6). */
export class ConsentRequired extends OAuthError {
  readonly error = 'consent_required';
  override readonly name = 'ConsentRequired';
  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/**
 * `interaction_required`: `prompt=none` and the person would have to choose something on a page, such as their
 * organization (OpenID Connect Core §3.1.2.6).
 */
export class InteractionRequired extends OAuthError {
  readonly error = 'interaction_required';
  override readonly name = 'InteractionRequired';
  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/**
 * `access_denied`: the person said no on the consent page, or is not a member of the organization the sign-in
 * is for (RFC 6749 §4.1.2.1).
 */
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  override readonly name = 'AccessDenied';
  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/**
 * `temporarily_unavailable` with 429 and `Retry-After` (RFC 9126 §2.3, RFC 6585 §4): the source address, or the
 * client pushing requests, already has as many sign-ins pending as it may (src/people/pending.ts). Sent to the
 * client in the redirect, or as the PAR endpoint's JSON body.
 */
export class TooManyPending extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly name = 'TooManyPending';
  constructor(description: string, retryAfterSeconds: number, options?: Omit<OAuthErrorOptions, 'headers'>) {
    super(429, description, { ...options, headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}

/**
 * A request that must not be answered with a redirect: the client is unknown or the redirect URI is not one it
 * registered (RFC 6749 §4.1.2.1, RFC 9700 §4.1: never redirect to an unchecked URI). Shown to the person as a
 * page; `message` is public, `detail` is for logs.
 */
export class NoRedirect extends Error {
  override readonly name = 'NoRedirect';
  readonly detail: string;
  constructor(message: string, detail = message) {
    super(message);
    this.detail = detail;
  }
}

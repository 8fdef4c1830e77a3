import { StateUnavailableError } from '../state/runtime-state.ts';
import { FailureCause, type FailureCauseName } from './failure-causes.ts';

/**
 * OAuth 2.0 error responses (RFC 6749 §5.2, RFC 8707 §2): one class per error code, each with its HTTP
 * status, a public `description` that goes into `error_description`, and a private `detail` that only
 * events and logs see. {@link errorResponse} is the one place that turns an error into a response.
 *
 * @example
 * throw new InvalidScope("scope not granted for this API: 'payments:write'");
 */
export abstract class OAuthError extends Error {
  /** The RFC 6749 §5.2 `error` code; stable, safe to match on. */
  abstract readonly error: string;
  readonly status: number;
  /** Public text for `error_description`. */
  readonly description: string;
  /** Private text for events and logs; never sent to the client. */
  readonly detail: string;
  /** Extra response headers (`WWW-Authenticate`, `Allow`). */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Why, finer than {@link error}, from a closed set (failure-causes.ts): what metrics label refusals with. */
  readonly failure: FailureCauseName | undefined;

  constructor(status: number, description: string, options?: OAuthErrorOptions) {
    super(description, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.description = description;
    this.detail = options?.detail ?? description;
    this.headers = options?.headers;
    this.failure = options?.failure;
  }
}

export interface OAuthErrorOptions {
  detail?: string;
  cause?: unknown;
  headers?: Readonly<Record<string, string>>;
  failure?: FailureCauseName;
}

/** `invalid_request`: missing, repeated or malformed parameter, or a request the endpoint cannot read. */
export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
  override readonly name = 'InvalidRequest';

  /** `status` other than 400 is for transport-level problems: 404, 405, 408, 413, 431. */
  constructor(description: string, options?: OAuthErrorOptions & { status?: number }) {
    super(options?.status ?? 400, description, options);
  }
}

/**
 * `invalid_client`: client authentication failed. Always 401; when the client tried HTTP Basic the
 * response carries `WWW-Authenticate` (RFC 6749 §5.2).
 */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly name = 'InvalidClient';

  constructor(description: string, options?: Omit<OAuthErrorOptions, 'headers'> & { triedBasic?: boolean }) {
    super(401, description, {
      ...options,
      headers: options?.triedBasic ? { 'www-authenticate': BASIC_CHALLENGE } : undefined,
    });
  }
}

const BASIC_CHALLENGE = 'Basic realm="latchkey", error="invalid_client"';

/** The one public description of a failed client authentication, whatever the reason (issue 9, item 8). */
export const CLIENT_AUTHENTICATION_FAILED = 'client authentication failed';

/**
 * `invalid_client` that reads the same whether or not the client exists and whatever it is registered with,
 * so an error body never tells which client ids exist nor how they authenticate; `detail` says what happened,
 * for events and logs only.
 *
 * @example
 * throw clientAuthenticationFailed(`unknown client ${quote(clientId)}`, { triedBasic });
 */
export function clientAuthenticationFailed(
  detail: string,
  options?: { triedBasic?: boolean; failure?: FailureCauseName },
): InvalidClient {
  return new InvalidClient(CLIENT_AUTHENTICATION_FAILED, { ...options, detail });
}

/** `invalid_grant`: the grant (code, refresh token, assertion) is invalid, expired or revoked. */
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
  override readonly name = 'InvalidGrant';

  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `unauthorized_client`: the authenticated client may not use this grant type. */
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
  override readonly name = 'UnauthorizedClient';

  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `unsupported_grant_type`: the server does not implement this grant type. */
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
  override readonly name = 'UnsupportedGrantType';

  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `invalid_scope`: a requested scope is unknown, malformed or not granted. */
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
  override readonly name = 'InvalidScope';

  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/** `invalid_target` (RFC 8707 §2): the requested resource or audience is unknown, not granted, or ambiguous. */
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
  override readonly name = 'InvalidTarget';

  constructor(description: string, options?: OAuthErrorOptions) {
    super(400, description, options);
  }
}

/**
 * `invalid_token` (RFC 6750 §3.1): the bearer token is missing, malformed, expired, revoked or not ours. 401
 * with `WWW-Authenticate: Bearer`; a request that sent no token at all gets the challenge without an error
 * code (RFC 6750 §3.1: it carried no authentication information).
 */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly name = 'InvalidToken';

  constructor(description: string, options?: Omit<OAuthErrorOptions, 'headers'> & { missing?: boolean }) {
    super(401, description, {
      ...options,
      headers: {
        'www-authenticate':
          options?.missing === true
            ? BEARER_REALM
            : `${BEARER_REALM}, error="invalid_token", error_description="${errorDescriptionText(description)}"`,
      },
    });
  }
}

/** `insufficient_scope` (RFC 6750 §3.1): the token lacks the scope the resource needs; 403, naming it. */
export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope';
  override readonly name = 'InsufficientScope';

  constructor(description: string, scope: string, options?: Omit<OAuthErrorOptions, 'headers'>) {
    super(403, description, {
      ...options,
      headers: { 'www-authenticate': `${BEARER_REALM}, error="insufficient_scope", scope="${scope}"` },
    });
  }
}

const BEARER_REALM = 'Bearer realm="latchkey"';

/** `server_error`: something on our side; the description never carries internals. */
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly name = 'ServerError';

  constructor(detail: string, options?: Omit<OAuthErrorOptions, 'detail'>) {
    super(500, 'the server could not complete the request', { ...options, detail });
  }
}

/** Seconds a client waits before asking again (RFC 9110 §10.2.3) when the server cannot answer yet. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1, the one code for a server that cannot answer now): 503 with
 * `Retry-After`, in the usual JSON body. Dev mode answers it while loading (not-ready.ts); every endpoint
 * answers it when the runtime state it needs cannot answer (issue 11: fail closed, never a 500).
 */
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly name = 'TemporarilyUnavailable';

  constructor(description: string, options?: Omit<OAuthErrorOptions, 'headers'>) {
    super(503, description, { ...options, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
  }
}

/** The public description when the runtime state cannot answer; what went wrong stays in the detail. */
export const STATE_UNAVAILABLE = 'the server cannot check this request now; try again shortly';

/** Headers every error body and token response carries (RFC 6749 §5.1). */
export const NO_STORE: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-type': 'application/json; charset=utf-8',
});

export interface ErrorResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/**
 * The one serializer. An {@link OAuthError} keeps its code, status and description; anything else becomes a
 * `server_error` 500 that says nothing about what went wrong.
 */
export function errorResponse(err: unknown): ErrorResponse {
  const e = toOAuthError(err);
  const body = JSON.stringify({ error: e.error, error_description: errorDescriptionText(e.description) });
  return { status: e.status, headers: e.headers ? { ...NO_STORE, ...e.headers } : NO_STORE, body };
}

/** Returns `err` when it is an OAuth error, {@link TemporarilyUnavailable} for a runtime state that cannot
 * answer, else a {@link ServerError} wrapping it. */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  // Fail closed: what needs runtime state is refused while the backend is down, and recovers with it.
  if (err instanceof StateUnavailableError) {
    return new TemporarilyUnavailable(STATE_UNAVAILABLE, {
      detail: err.message,
      cause: err,
      failure: FailureCause.StateUnavailable,
    });
  }
  return new ServerError(err instanceof Error ? `${err.name}: ${err.message}` : 'non-error thrown', {
    cause: err,
  });
}

// RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
const NOT_DESCRIPTION_CHAR = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/** Makes text fit `error_description`: printable ASCII without `"` and `\`. */
export function errorDescriptionText(text: string): string {
  return text.replace(NOT_DESCRIPTION_CHAR, '?');
}

/** Quotes a client-supplied value for a description: single quotes, at most 100 characters, safe charset. */
export function quote(value: string): string {
  const short = value.length > 100 ? `${value.slice(0, 97)}...` : value;
  return `'${errorDescriptionText(short)}'`;
}

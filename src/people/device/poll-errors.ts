import { OAuthError } from '../../server/errors.ts';

/**
 * The token endpoint's answers to a device that polls (RFC 8628 §3.5): each an error response with status 400.
 * `authorization_pending` and `slow_down` are the device waiting, not a refusal, so they are logged at debug
 * (log-level.ts).
 */

export class AuthorizationPending extends OAuthError {
  readonly error = 'authorization_pending';
  override readonly name = 'AuthorizationPending';
  constructor(description: string) {
    super(400, description);
  }
}

export class SlowDown extends OAuthError {
  readonly error = 'slow_down';
  override readonly name = 'SlowDown';
  constructor(description: string) {
    super(400, description);
  }
}

export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  override readonly name = 'AccessDenied';
  constructor(description: string) {
    super(400, description);
  }
}

export class ExpiredToken extends OAuthError {
  readonly error = 'expired_token';
  override readonly name = 'ExpiredToken';
  constructor(description: string) {
    super(400, description);
  }
}

import { OAuthError } from '../../server/errors.ts';

/** The `error` codes a polling device is answered with besides the tokens (RFC 8628 §3.5). */
export type DevicePollErrorCode = 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token';

/**
 * The token endpoint's answers to a device that polls (RFC 8628 §3.5), each an error response with status 400.
 * `authorization_pending` and `slow_down` are the device waiting, not a refusal, so they are logged at debug
 * (log-level.ts).
 */
export class DevicePollError extends OAuthError {
  override readonly name = 'DevicePollError';
  readonly error: DevicePollErrorCode;
  constructor(error: DevicePollErrorCode, description: string) {
    super(400, description);
    this.error = error;
  }
}

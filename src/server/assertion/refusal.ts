import { InvalidClient, type OAuthError } from '../errors.ts';

/**
 * How a refused token is answered, which depends on the parameter that carried it: a `client_assertion` is
 * `invalid_client` (RFC 7523 §3.2), a grant's `assertion` is `invalid_grant` (RFC 7523 §3.1), a
 * `subject_token` is `invalid_request` (RFC 8693 §2.2.2). The checks themselves are the same for all three.
 */
export interface Refusal {
  /** The form parameter that carried the token; descriptions start with it. */
  readonly parameter: string;
  refuse(description: string, options?: { detail?: string }): OAuthError;
}

export const CLIENT_ASSERTION: Refusal = {
  parameter: 'client_assertion',
  refuse: (description, options) => new InvalidClient(description, options),
};

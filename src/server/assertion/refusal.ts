import { InvalidClient, type OAuthError } from '../errors.ts';
import { FailureCause, type FailureCauseName } from '../failure-causes.ts';

/**
 * How a refused token is answered, which depends on the parameter that carried it: a `client_assertion` is
 * `invalid_client` (RFC 7523 §3.2), a grant's `assertion` is `invalid_grant` (RFC 7523 §3.1), a
 * `subject_token` is `invalid_request` (RFC 8693 §2.2.2). The checks themselves are the same for all three.
 */
export interface Refusal {
  /** The form parameter that carried the token; descriptions start with it. */
  readonly parameter: string;
  /** `failure` defaults to {@link FailureCause.BadAssertion}. */
  refuse(description: string, options?: RefusalOptions): OAuthError;
}

export interface RefusalOptions {
  detail?: string;
  failure?: FailureCauseName;
}

/** The options of a refusal's error: its detail, and `bad_assertion` unless the check said otherwise. */
export function refusalOptions(options: RefusalOptions | undefined): RefusalOptions {
  return { failure: FailureCause.BadAssertion, ...options };
}

export const CLIENT_ASSERTION: Refusal = {
  parameter: 'client_assertion',
  refuse: (description, options) => new InvalidClient(description, refusalOptions(options)),
};

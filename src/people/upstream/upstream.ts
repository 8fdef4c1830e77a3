import type { ConnectionSignIn, CompiledConnection } from '../../store/snapshot.ts';

/**
 * A person as an upstream provider (or a `test` Connection) describes them after a successful sign-in, with the
 * Connection's claim mapping applied. `subject` is stable and what identities are keyed by; everything else
 * may change between sign-ins and is never used to find a person except by the matching modes.
 */
export interface UpstreamIdentity {
  /** The Connection, as `namespace/name`. */
  connection: string;
  subject: string;
  email?: string;
  /** True only when the upstream says so (`email_verified`, GitHub's `verified`). */
  emailVerified: boolean;
  name?: string;
  username?: string;
  groups: readonly string[];
  /** RFC 8176 values: `fed` through an upstream, `pwd` for a test user. */
  amr: readonly string[];
}

/** What starting an upstream sign-in yields: where to send the browser, and what the callback will need. */
export interface UpstreamStart {
  /** The upstream authorization URL, with `state`, PKCE `code_challenge` and (OIDC) `nonce`. */
  url: string;
  codeVerifier: string;
  nonce?: string;
}

/** Why an upstream sign-in failed, in words a person can act on (no secrets, no upstream bodies verbatim). */
export class UpstreamSignInError extends Error {
  readonly code = 'UPSTREAM_SIGN_IN_FAILED';
  /**
   * @param reason a stable code for metrics and tests (`state_mismatch`, `nonce_mismatch`, `upstream_error`,
   *   `token_exchange_failed`, `id_token_invalid`, `domain_not_allowed`, `organization_not_allowed`, …)
   * @param message what the person sees
   */
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.name = 'UpstreamSignInError';
  }
}

/** One kind of upstream (`oidc`, `google`, `github`): redirects the browser there and back. */
export interface UpstreamProvider {
  /** Builds the authorization URL; `callbackUrl` is Latchkey's login callback, registered upstream. */
  begin(
    connection: CompiledConnection & { signIn: ConnectionSignIn },
    callbackUrl: string,
    state: string,
  ): Promise<UpstreamStart>;
  /**
   * Finishes on the callback: exchanges the code (with the verifier), validates what came back (ID token with
   * the nonce for OIDC types), applies the claim mapping and the Connection's restrictions.
   *
   * @throws {UpstreamSignInError}
   */
  finish(
    connection: CompiledConnection & { signIn: ConnectionSignIn },
    callbackUrl: string,
    callback: URLSearchParams,
    pending: { codeVerifier: string; nonce?: string },
  ): Promise<UpstreamIdentity>;
}

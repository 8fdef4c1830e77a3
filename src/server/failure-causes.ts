/**
 * Why a token request was refused, finer than its RFC 6749 §5.2 `error` code and from a closed set, so the
 * `reason` label of `latchkey_token_failures_total` stays bounded whatever a caller sends (issue 16, item 4).
 * A refusal without one of these is labelled by its `error` code alone. docs/metrics.md lists them.
 */
export const FailureCause = {
  /** The request named a client id that no OAuthClient in effect has. */
  UnknownClient: 'unknown_client',
  /** A wrong `client_secret`, or the secret a rotation replaced once its grace period ended. */
  BadSecret: 'bad_secret',
  /** The client sent one kind of credential and is registered with another `tokenEndpointAuthMethod`. */
  WrongAuthMethod: 'wrong_auth_method',
  /** No client credentials, no `client_secret`, or no `client_assertion`/`client_assertion_type`. */
  MissingCredentials: 'missing_credentials',
  /** A JWT credential (`client_assertion`, `assertion`, `subject_token`) that is malformed, uses an algorithm
   * that is refused, fails a claim check (`aud`, `exp`, `nbf`, `iat`, `sub`) or names a key it has no right to. */
  BadAssertion: 'bad_assertion',
  /** A JWT credential whose signature verifies with none of the keys it may use. */
  BadSignature: 'bad_signature',
  /** A `client_assertion` whose `jti` was already used (RFC 7523 §3 item 7). */
  ReplayedAssertion: 'replayed_assertion',
  /** The replay check could not take the assertion: this client's share of the replay cache is full. */
  ReplayCheckUnavailable: 'replay_check_unavailable',
  /** The keys of a client with a `jwksUri` could not be fetched. */
  ClientKeysUnavailable: 'client_keys_unavailable',
  /** A federated token whose `iss` is not the issuer of a trusted Connection. */
  UntrustedIssuer: 'untrusted_issuer',
  /** A federated token names a `kid` the issuer's keys (as last checked) do not have: the issuer may have rotated. */
  UnknownIssuerKey: 'unknown_issuer_key',
  /** A federated token's subject is not a federated identity of the client (or of any client). */
  NotFederated: 'not_federated',
  /** The request needs an organization and has none, names one that does not list the client, or may not name one. */
  Organization: 'organization',
  /** Neither `audience` nor `resource`, and the client is granted no API or several. */
  AudienceRequired: 'audience_required',
  /** The runtime state (replay check, revocations) does not answer (issue 11). */
  StateUnavailable: 'state_unavailable',
  /** No active signing key for the API's algorithm. */
  NoSigningKey: 'no_signing_key',
} as const;

export type FailureCauseName = (typeof FailureCause)[keyof typeof FailureCause];

export const FAILURE_CAUSES: readonly FailureCauseName[] = Object.values(FailureCause);

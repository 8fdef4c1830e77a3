/**
 * What people sign-in keeps in runtime state (src/state/runtime-state.ts), one value shape per record kind.
 * The contract between the authorization endpoint, the hosted pages, the upstream Connections and the token
 * endpoint: each writes and reads only these shapes, so any replica can carry on a sign-in another started.
 *
 * Keys that are credentials (codes, refresh tokens, session ids, request ids, upstream `state`) are hashed by
 * the store itself; values never hold a credential either: where one record must name another credential it
 * holds `digestOf(...)` of it (src/people/digest.ts), never the credential.
 */

import type { UpstreamIdentity } from './upstream/upstream.ts';

/** `authorization_request`, keyed by a random request id (`request_uri` for PAR): a validated request. */
export interface AuthorizationRequestRecord {
  clientId: string;
  /** Exactly as sent, and matched (RFC 6749 §3.1.2, RFC 8252 §7.3 for loopback ports). */
  redirectUri: string;
  /** Requested scopes, deduplicated, in request order. */
  scopes: readonly string[];
  state?: string;
  nonce?: string;
  /** RFC 7636: always S256 here (`plain` is refused). */
  codeChallenge: string;
  /** `prompt` values (OpenID Connect Core §3.1.2.1), deduplicated. */
  prompt: readonly ('none' | 'login' | 'consent' | 'select_account')[];
  /** `max_age` in seconds, when sent. */
  maxAgeSeconds?: number;
  /** RFC 8707 `resource` values. */
  resources: readonly string[];
  /** `login_hint`, when sent (shown, never trusted). */
  loginHint?: string;
  /** Set when the request came through PAR (RFC 9126): it may be used once, then the id is spent. */
  pushed: boolean;
  /** Milliseconds since the epoch, when the request was accepted. */
  createdAtMs: number;
  /**
   * Set (by `compareAndSwap`) once the person signed in for this request, so `prompt=login` and `max_age`
   * are satisfied by that sign-in and not asked again; milliseconds since the epoch.
   */
  signedInAtMs?: number;
  /** Set once the person consented on the consent page for this request (so `prompt=consent` is satisfied). */
  consented?: boolean;
  /**
   * Set when the request serves a device's sign-in (RFC 8628) rather than a redirect: the user code of the
   * device authorization, sealed with the request id (`sealCode`, digest.ts). Its `redirectUri` is then the
   * verification page, and it ends with the person's answer recorded on the device authorization.
   */
  device?: { sealedUserCode: string };
  /**
   * The organization the sign-in is for, as `org_id`: from the `organization` parameter, or chosen by the person
   * on the organization page when the client requires one.
   */
  organization?: string;
}

/**
 * What the Connection said about the person at sign-in that Organization `members` and Role `subjects` rules
 * match on (src/people/membership/rules.ts). Recorded with the session and carried on what a sign-in grants
 * (code, refresh-token family, device approval), so membership is computed again at each refresh from the same
 * facts under the rules then in force.
 */
export interface SignInFacts {
  /** The Connection signed in through, as `namespace/name`. */
  connection: string;
  /** The person's groups, as the Connection mapped them. */
  groups: readonly string[];
  /** The email, only when the Connection said it is verified. */
  verifiedEmail?: string;
}

/**
 * Whom a sign-in's grant is for and what it rests on, as a code, each token of a refresh-token family and a
 * device approval record it: the person, the session's `sid`, `auth_time` and `amr`, what the Connection said,
 * and the organization. Membership is decided again from `facts` under the rules in force at each use.
 */
export interface SignedInPerson {
  userId: string;
  sid: string;
  /** Seconds since the epoch: `auth_time`. */
  authTime: number;
  amr: readonly string[];
  /** What the sign-in said about the person; absent on grants from before it was recorded. */
  facts?: SignInFacts;
  /** The organization the tokens are for, as `org_id`. */
  organization?: string;
}

/** `session`, keyed by the opaque id in the SSO cookie; owned by the user id (list and end a user's sessions). */
export interface SessionRecord {
  userId: string;
  /** The `sid` claim: a random id that is not the cookie value (OpenID Connect Front-Channel Logout §2). */
  sid: string;
  /** The Connection signed in through, as `namespace/name`. */
  connection: string;
  /** Seconds since the epoch: `auth_time`. */
  authTime: number;
  /** `amr` values (RFC 8176), e.g. `['pwd']` for test users, `['fed']` through an upstream. */
  amr: readonly string[];
  /** Client ids the person consented to (third-party clients), with the scopes consented. */
  consents: Readonly<Record<string, readonly string[]>>;
  /** What the Connection said at this sign-in; absent on sessions from before organizations for people. */
  facts?: SignInFacts;
}

/**
 * `authorization_code`, keyed by the code. Redeeming it is a `compareAndSwap` that sets `redeemed`, so a second
 * presentation finds what was issued with it and revokes that (RFC 6749 §4.1.2): the access token's `jti`
 * through the revocation list, the refresh-token family with `deleteByOwner`. Expires ≤ 60 s after issue.
 */
export interface AuthorizationCodeRecord extends SignedInPerson {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: readonly string[];
  resources: readonly string[];
  nonce?: string;
  redeemed?: {
    atMs: number;
    accessTokenJti: string;
    accessTokenExpiresAtMs: number;
    /** The refresh-token family started with this code, when one was issued. */
    familyId?: string;
  };
}

/**
 * `refresh_token`, keyed by the refresh token; owned by its family id, so reuse detection deletes the whole
 * family with one `deleteByOwner` (RFC 9700 §4.14.2). Rotation is a `compareAndSwap` on the current token's
 * record marking it `rotatedAtMs`, then an insert of the next token.
 */
export interface RefreshTokenRecord extends SignedInPerson {
  familyId: string;
  clientId: string;
  scopes: readonly string[];
  resources: readonly string[];
  /** Milliseconds since the epoch when the family began: the absolute lifetime counts from here. */
  familyCreatedAtMs: number;
  /** Set once rotated; a use after `rotatedAtMs + grace` is reuse and ends the family. */
  rotatedAtMs?: number;
  /**
   * The token that first replaced this one, as a digest (for tracing a family). A use within the grace gets
   * another successor in the family, since only the digest of the first is kept (src/server/grants/refresh-token.ts).
   */
  successorDigest?: string;
}

/**
 * `user`, keyed by the user id (`usr_…`); expires a retention period after the last sign-in. Owned by
 * `username:<digest of the lowercased username>` when there is one, so username matching can find it.
 */
export interface UserRecord {
  id: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
  /** A preferred username, when the upstream has one (GitHub login, test user name). */
  username?: string;
  /** Groups from the last sign-in, as the Connection mapped them. */
  groups: readonly string[];
  /** Milliseconds since the epoch. */
  createdAtMs: number;
  lastSignInAtMs: number;
}

/**
 * `identity`, keyed by `<connection namespace/name> NUL <upstream subject>` (never a mutable claim such as
 * email); owned by `email:<digest of the lowercased verified email>` when there is one, so linking by email
 * can find every user that holds it.
 */
export interface IdentityRecord {
  userId: string;
  connection: string;
  subject: string;
}

/**
 * `upstream_login`, keyed by the `state` sent to the upstream provider: what the callback needs to finish, and
 * which authorization request it belongs to. Consumed once by the callback. The request id and the PKCE
 * verifier are credentials, so they are sealed with the `state` (`sealWith(state, …)`, digest.ts): only the
 * callback that presents the `state` reads them.
 */
export interface UpstreamLoginRecord {
  /** The authorization request id this sign-in serves, sealed with purpose `request`. */
  sealedRequestId: string;
  connection: string;
  /** The PKCE verifier sent upstream, sealed with purpose `code_verifier`. */
  sealedCodeVerifier: string;
  nonce?: string;
  /** Digest of the browser-binding cookie set when the sign-in started (login CSRF, RFC 9700 §4.7). */
  browserDigest: string;
}

/**
 * `pending_link`, keyed by a random id: a sign-in whose new identity matched an existing user by email or username
 * (`email_link`, `username_link`), waiting for the person to confirm linking on the hosted page. Consumed once;
 * expires with the authorization request.
 */
export interface PendingLinkRecord {
  /** Digest of the authorization request id this sign-in serves (the link form names the request). */
  requestDigest: string;
  /** The user the person is asked to link to. */
  userId: string;
  /** The identity as the upstream (or test Connection) described it; no credential is in it. */
  identity: UpstreamIdentity;
  /** Digest of the browser-binding cookie of the sign-in, so only that browser can confirm. */
  browserDigest: string;
}

/** `sign_in_failure`, keyed by `address:<ip>` or `person:<connection> NUL <name>`: failures in a window. */
export interface SignInFailureRecord {
  /** Failure times, milliseconds since the epoch, oldest first, at most the limit. */
  failures: readonly number[];
}

/**
 * `device_authorization`, keyed by the user code (normalized: eight letters, no dash): a device's sign-in
 * waiting for a person to approve it on the verification page (RFC 8628 §3.3). Found by the device through its
 * device code, which starts with the same user code and is checked against `deviceCodeDigest`. Owned by the
 * source address that asked for it (`address:<bucket>`), within its share of pending records (pending.ts).
 * Kept a while after it stops being usable, so a late poll is told `expired_token` rather than `invalid_grant`.
 */
export interface DeviceAuthorizationRecord {
  deviceCodeDigest: string;
  clientId: string;
  scopes: readonly string[];
  resources: readonly string[];
  /** The organization (`org_id`) the device's sign-in is for, from `organization`. */
  organization?: string;
  /** Milliseconds since the epoch; the codes are usable until `createdAtMs + DEVICE_CODE_LIFETIME_MS`. */
  createdAtMs: number;
  /** The least time between two polls, grown by 5 s with each `slow_down` (RFC 8628 §3.5). */
  intervalSeconds: number;
  /** When the device last polled, milliseconds since the epoch. */
  lastPollAtMs?: number;
  /** The person's answer on the verification page. */
  decision?: DeviceDecision;
  /** When the device was given its tokens: the device code is spent. */
  issuedAtMs?: number;
}

/** A person approved a device's sign-in (as whom, through which session) or denied it. */
export type DeviceDecision =
  ({ approved: true; atMs: number } & SignedInPerson) | { approved: false; atMs: number };

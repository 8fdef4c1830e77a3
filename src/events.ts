import { EventEmitter } from 'node:events';
import type { RefusedBy } from './refusal-log.ts';
import type { FailureCauseName } from './server/failure-causes.ts';

/**
 * Typed events that logging and metrics subscribe to, so the code that does the work never
 * formats log lines itself. No payload carries a secret.
 */
export interface LatchkeyEvents {
  'token.issued': {
    clientId: string;
    grantType: string;
    audience: string;
    algorithm: string;
    organizationId?: string;
  };
  /**
   * A token request was refused. `clientId`: the client that authenticated; `detail`: why, for the log only
   * (never in the response). See {@link RefusedBy} for who asked.
   */
  'token.failed': {
    error: string;
    grantType?: string;
    clientId?: string;
    detail: string;
    /** Why, finer than `error`, from a closed set (src/server/failure-causes.ts), when the check named one. */
    failure?: FailureCauseName;
  } & RefusedBy;
  /** An introspection was answered; `detail` says why a token is inactive (never sent to the caller). */
  'token.introspected': { clientId: string; active: boolean; detail?: string };
  /** A revocation was answered: `revoked` false when there was nothing this client may revoke (`detail`). */
  'token.revoked': { clientId: string; revoked: boolean; detail?: string };
  /** An introspection or revocation request was refused with an OAuth error. */
  'request.failed': {
    endpoint: 'introspection' | 'revocation' | 'userinfo';
    error: string;
    clientId?: string;
    detail: string;
  } & RefusedBy;
  /**
   * The revocation list was full and dropped the revocation of a token that has not expired: that token is
   * active again at introspection for `remainingSeconds`.
   */
  'revocation.evicted': { remainingSeconds: number };
  /**
   * A federated token from a trusted issuer named a `kid` that none of the issuer's keys in the snapshot has
   * (the token was refused): the issuer may have rotated its keys since its Connections were last checked.
   * The operator checks those Connections again early, rate-limited; `kid` comes from the unverified token.
   */
  'issuer.unknownKey': { issuer: string; kid: string };
  /**
   * A new snapshot is in force. `clients`: clients in it (they authenticate); `clientsInEffect`: those that can
   * get a token for some API; `clientsBlocked`: the declared OAuthClients that cannot (src/store/client-counts.ts).
   */
  'store.swapped': {
    version: number;
    clients: number;
    clientsInEffect: number;
    clientsBlocked: number;
    apis: number;
    notReady: number;
  };
  'object.notReady': { key: string; reason: string; message: string };
  'manifest.invalid': { file: string; line: number; object: string; field: string; message: string };
  'secret.issued': {
    namespace: string;
    name: string;
    clientId: string;
    reason: 'created' | 'recreated' | 'rotated';
  };
  'keys.created': { algorithms: string[] };
  /** A new signing key is in the JWKS; it signs from `activatesAt` (RFC 3339). */
  'keys.published': { kid: string; algorithm: string; activatesAt: string };
  /**
   * Keys were revoked on demand and left the JWKS; `promoted` keys sign at once in their place, skipping the
   * pre-publish period. `unknown`: kids named that no stored key has.
   */
  'keys.revoked': { kids: string[]; promoted: string[]; unknown: string[] };
  /** Retired keys left the JWKS: every token they signed has expired. */
  'keys.removed': { kids: string[] };
  'reconcile.failed': { controller: string; key: string; message: string };
  /**
   * A Connection's issuer check could not fetch its discovery document or JWK Set: what the network said
   * (`status` of an answer, `code` of a failed connection), for whoever runs Latchkey only. The Connection's
   * status says less on purpose (issue 9, item 5). Once per failed check.
   */
  'connection.fetchFailed': {
    connection: string;
    url: string;
    message: string;
    status?: number;
    code?: string;
  };
  /**
   * An informer's watch failed or could not be opened and is being reopened (`reason`: `gone` on 410 Gone,
   * `closed` when the server closed it at once, otherwise the error); the cache is served meanwhile. A healthy
   * watch that the server ends on its timeout is reopened without this event.
   */
  'watch.reconnected': { resource: string; reason: string };
  /** An informer listed its collection again (after 410 Gone) and emitted the differences from its cache. */
  'watch.relisted': { resource: string };
  /**
   * The runtime state (replay check, revocations) stopped answering: what needs it answers
   * `temporarily_unavailable` and readiness fails until `state.recovered`. Once per outage; `message` says
   * what the backend reported (never a password).
   */
  'state.unavailable': { backend: string; message: string };
  /** The runtime state answers again after `downSeconds`. */
  'state.recovered': { backend: string; downSeconds: number };
  'keys.restored': { where: string };
  'keys.corrupt': { where: string; message: string };
  /**
   * A person's sign-in failed at the hosted pages (issue 12). `reason` is from a closed set
   * ({@link SignInFailureReason}); `connection` is the Connection's `namespace/name`, `detail` says more for
   * the log only (never a password, never what the person typed as one).
   */
  'signIn.failed': { reason: SignInFailureReason; connection: string; clientId?: string; detail?: string };
  /**
   * A sign-in attempt was refused unchecked: too many failures for the person or the source address, or too
   * many wrong device codes from the browser or the address.
   */
  'signIn.throttled': {
    scope: 'person' | 'address' | 'browser';
    /** The Connection signed in through, or `device` for wrong codes on the device verification page. */
    connection: string;
    retryAfterSeconds: number;
  };
  /**
   * A sign-in was refused before it started: its source address (or, pushing requests, its client) already has
   * as many authorization requests, upstream sign-ins or device authorizations pending as it may
   * (src/people/pending.ts).
   */
  /** A person approved or denied a device's sign-in on the verification page (RFC 8628 §3.3). */
  'signIn.deviceAnswered': { clientId: string; approved: boolean };
  'signIn.pendingRefused': {
    kind: 'authorization_request' | 'upstream_login' | 'device_authorization';
    owner: 'address' | 'client';
  };
  /** The token server serves a renewed certificate (read from `--tls-cert`/`--tls-key`) to new connections. */
  'tls.reloaded': { notAfter: string };
  /**
   * Changed certificate or key files could not be used (unreadable, not PEM, or the key is not the
   * certificate's); the previous certificate is still served. Reported once per content of the files.
   */
  'tls.reloadFailed': { message: string };
}

/**
 * Why a sign-in failed: a wrong test-user password, an upstream `state` that matched no sign-in of this browser,
 * the upstream answering with an `error`, the upstream sign-in failing afterwards (token exchange, ID token,
 * restrictions), or the account refused by the Connection's user matching.
 */
export type SignInFailureReason =
  'wrong_password' | 'state_mismatch' | 'upstream_denied' | 'upstream_failed' | 'account_refused';

export type EventName = keyof LatchkeyEvents;

export class EventBus {
  readonly #emitter = new EventEmitter();

  emit<E extends EventName>(name: E, payload: LatchkeyEvents[E]): void {
    this.#emitter.emit(name, payload);
  }

  on<E extends EventName>(name: E, listener: (payload: LatchkeyEvents[E]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }
}

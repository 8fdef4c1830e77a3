import type { Clock } from '../../clock.ts';
import { MemoryReplayCache, type ReplayCache } from '../../runtime/replay-cache.ts';
import type { CompiledClient, Snapshot } from '../../store/snapshot.ts';
import { verifyClientAssertion, type ClientAssertionDeps } from './client-assertion.ts';
import {
  verifyFederatedClient,
  verifyTrustedToken,
  type FederatedTokenDeps,
  type TrustedSubject,
  type UnknownIssuerKey,
} from './federated-token.ts';
import type { UnverifiedJwt } from './jwt.ts';
import type { Refusal } from './refusal.ts';
import { RemoteKeySets } from './remote-keys.ts';

/** What a verified token from a trusted issuer names, and whom to tell of an issuer's unknown key. */
export type { TrustedSubject, UnknownIssuerKey } from './federated-token.ts';

export interface AssertionVerifierOptions {
  /**
   * Accepted `aud` values, the issuer first: the issuer and the token endpoint URL (RFC 7523 §3 item 3,
   * OpenID Connect Core §9).
   */
  audiences: readonly string[];
  now: Clock;
  /** Default: an in-memory cache of this replica. */
  replay?: ReplayCache;
  /** Default: a cache fetching with undici. */
  remoteKeys?: RemoteKeySets;
  /**
   * Told when a federated token names a `kid` that none of its trusted issuer's keys in the snapshot has,
   * before the token is refused: the issuer may have rotated its keys since the operator last checked it.
   * Must return at once (the token path does no I/O); the operator answers with an early, rate-limited
   * check of the issuer's Connections. `kid` comes from the unverified token, cut to 100 characters.
   */
  onUnknownIssuerKey?: UnknownIssuerKey;
}

/**
 * Verifies JWT client assertions (RFC 7523 §2.2, OpenID Connect Core §9) for `private_key_jwt` (asymmetric
 * algorithms and the client's public keys) and `client_secret_jwt` (HMAC with the client's secret). One per
 * server: the endpoints that authenticate clients share its replay cache and fetched key sets.
 *
 * @example
 * const verifier = new AssertionVerifier({ audiences: [urls.issuer, urls.tokenEndpoint], now: systemClock });
 * await verifier.verify(client, parseUnverifiedJwt(params.client_assertion));
 */
export class AssertionVerifier {
  readonly #clientDeps: ClientAssertionDeps;
  readonly #federatedDeps: FederatedTokenDeps;

  constructor(options: AssertionVerifierOptions) {
    const { audiences, now } = options;
    this.#clientDeps = {
      audiences,
      now,
      replay: options.replay ?? new MemoryReplayCache(),
      remoteKeys: options.remoteKeys ?? new RemoteKeySets({ now }),
    };
    this.#federatedDeps = {
      audiences,
      now,
      onUnknownIssuerKey: options.onUnknownIssuerKey ?? (() => undefined),
    };
  }

  /**
   * Checks, in order: the algorithm suits the client's method, a key of the client verifies the signature,
   * the claims hold, and the `jti` was not used before. The `jti` is remembered only once all else passed,
   * so a forged assertion cannot spend a client's identifier. Until the signature verifies, every failure
   * reads as `clientAuthenticationFailed` (issue 9, item 8): only whoever holds the client's key learns
   * what its registration expects. The header checks that need no client (`checkAssertionHeader`, client-assertion.ts) come
   * before the client is looked up.
   *
   * @throws {InvalidClient} for every failure, with a public description and a private detail
   */
  async verify(client: CompiledClient, jwt: UnverifiedJwt): Promise<void> {
    await verifyClientAssertion(client, jwt, this.#clientDeps);
  }

  /**
   * Verifies a federated workload token presented as the `client_assertion` of the client `clientId`:
   * the token must verify as {@link verifyTrustedToken} says (a Connection's issuer, its keys from the
   * snapshot, `aud`, `exp`), and the client must list its issuer's Connection and exactly its `sub` among
   * its `federatedIdentities`. The token is checked before the client is looked up, so what a refusal says
   * never depends on the client: an unknown client, one without federated identities and one that federates
   * another subject all read as `clientAuthenticationFailed` (issue 9, item 8).
   *
   * No `jti` replay check: a projected ServiceAccount token is reused by design for every request until the
   * kubelet rotates it (and carries no `jti` of its own on older clusters); rejecting reuse would lock the
   * workload out after its first request. Its own short lifetime and audience binding limit a leak instead.
   *
   * @throws {InvalidClient} for every failure, with a public description and a private detail
   */
  verifyFederated(snapshot: Snapshot, clientId: string, jwt: UnverifiedJwt): Promise<CompiledClient> {
    return verifyFederatedClient(snapshot, clientId, jwt, this.#federatedDeps);
  }

  /**
   * Verifies a token from the issuer of a Connection that is itself the grant: the `assertion` of the JWT
   * bearer grant (RFC 7523 §2.1) or the `subject_token` of a token exchange (RFC 8693 §2.1). The checks are
   * those of {@link verifyFederated} (issuer keys from the snapshot, no I/O; `aud`, `exp`, `nbf`, `iat`; no
   * `jti` replay check, for the same reason) without a client to start from: the caller maps the returned
   * subject to the clients that federate it.
   *
   * @param refusal how a failure is answered (`invalid_grant` for an assertion, `invalid_request` for a
   *   subject token)
   * @throws the refusal's error for every failure, with a public description and a private detail
   * @example
   * const { subject, connections } = await verifier.verifyTrustedToken(snapshot, jwt, ASSERTION);
   */
  verifyTrustedToken(snapshot: Snapshot, jwt: UnverifiedJwt, refusal: Refusal): Promise<TrustedSubject> {
    return verifyTrustedToken(snapshot, jwt, refusal, this.#federatedDeps);
  }
}

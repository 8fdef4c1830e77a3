import type { KeyObject } from 'node:crypto';
import { compactVerify } from 'jose/jws/compact/verify';
import { ASYMMETRIC_ASSERTION_ALGORITHMS } from '../../api/oauth-client.ts';
import type { Clock } from '../../clock.ts';
import { MemoryReplayCache, type ReplayCache } from '../../runtime/replay-cache.ts';
import type { ClientKey } from '../../store/client-keys.ts';
import type { CompiledClient, CompiledConnection, Snapshot } from '../../store/snapshot.ts';
import { clientAuthenticationFailed, InvalidClient, quote } from '../errors.ts';
import {
  checkAssertionClaims,
  checkFederatedClaims,
  CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS,
} from './claims.ts';
import type { UnverifiedJwt } from './jwt.ts';
import { CLIENT_ASSERTION, type Refusal } from './refusal.ts';
import { RemoteKeySets } from './remote-keys.ts';
import { replayRefusalDetail } from './replay-detail.ts';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** `client_secret_jwt` algorithms (RFC 7518 §3.2) with the shortest key each needs: its hash size. */
export const HMAC_ASSERTION_ALGORITHMS: ReadonlyMap<string, number> = new Map([
  ['HS256', 32],
  ['HS384', 48],
  ['HS512', 64],
]);

/** Every algorithm an assertion may use, for `token_endpoint_auth_signing_alg_values_supported`. */
export const ASSERTION_SIGNING_ALGORITHMS: readonly string[] = [
  ...ASYMMETRIC_ASSERTION_ALGORITHMS,
  ...HMAC_ASSERTION_ALGORITHMS.keys(),
];

const ASYMMETRIC: ReadonlySet<string> = new Set(ASYMMETRIC_ASSERTION_ALGORITHMS);

/** Who a verified token from a trusted issuer names, for mapping to the clients that federate it. */
export interface TrustedSubject {
  issuer: string;
  /** The token's `sub`. */
  subject: string;
  /** The Connections (`namespace/name`) whose issuer it is: the ones an identity must name to match. */
  connections: ReadonlySet<string>;
}

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

/** See {@link AssertionVerifierOptions.onUnknownIssuerKey}. */
export type UnknownIssuerKey = (issuer: string, kid: string) => void;

/** The longest `kid` passed on to {@link UnknownIssuerKey}: enough for any real one, bounded for logs. */
const MAX_REPORTED_KID = 100;

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
  readonly #audiences: readonly string[];
  readonly #now: Clock;
  readonly #replay: ReplayCache;
  readonly #remoteKeys: RemoteKeySets;
  readonly #onUnknownIssuerKey: UnknownIssuerKey;

  constructor(options: AssertionVerifierOptions) {
    this.#audiences = options.audiences;
    this.#now = options.now;
    this.#replay = options.replay ?? new MemoryReplayCache();
    this.#remoteKeys = options.remoteKeys ?? new RemoteKeySets({ now: options.now });
    this.#onUnknownIssuerKey = options.onUnknownIssuerKey ?? (() => undefined);
  }

  /**
   * Checks, in order: the algorithm suits the client's method, a key of the client verifies the signature,
   * the claims hold, and the `jti` was not used before. The `jti` is remembered only once all else passed,
   * so a forged assertion cannot spend a client's identifier. Until the signature verifies, every failure
   * reads as {@link clientAuthenticationFailed} (issue 9, item 8): only whoever holds the client's key learns
   * what its registration expects. The header checks that need no client ({@link checkAssertionHeader}) come
   * before the client is looked up.
   *
   * @throws {InvalidClient} for every failure, with a public description and a private detail
   */
  async verify(client: CompiledClient, jwt: UnverifiedJwt): Promise<void> {
    const r = unverified(client.clientId);
    const keys = client.assertionKeys;
    if (keys === undefined) throw r.refuse('it has no assertion keys');
    const alg = checkAssertionHeader(jwt);
    const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : undefined;

    if (keys.kind === 'secret') {
      const minBytes = HMAC_ASSERTION_ALGORITHMS.get(alg);
      if (minBytes === undefined)
        throw r.refuse(wrongAlgorithm(alg, 'client_secret_jwt', 'HS256, HS384, HS512'));
      // The secret a rotation replaced signs too until its time (issue 4: rotation without downtime).
      const previous = keys.previous;
      const inForce =
        previous !== undefined && this.#now() < previous.validUntilMs
          ? [...keys.keys, previous.value]
          : keys.keys;
      // RFC 7518 §3.2: the key must be at least as long as the hash; a generated secret has 43 bytes.
      const usable = inForce.filter((k) => (k.symmetricKeySize ?? 0) >= minBytes);
      if (usable.length === 0) {
        throw r.refuse(
          `client_assertion 'alg' ${quote(alg)} needs a client secret of at least ${minBytes} bytes (RFC 7518 section 3.2): use HS256`,
        );
      }
      await verifyWithAny(jwt, alg, usable, SIGNATURE_FAILED, r);
    } else {
      if (!ASYMMETRIC.has(alg)) {
        throw r.refuse(wrongAlgorithm(alg, 'private_key_jwt', ASYMMETRIC_ASSERTION_ALGORITHMS.join(', ')));
      }
      const candidates = await this.#publicKeys(client.clientId, keys, alg, kid, r);
      await verifyWithAny(
        jwt,
        alg,
        candidates.map((k) => k.key),
        SIGNATURE_FAILED,
        r,
      );
    }

    const nowMs = this.#now();
    const { jti, exp } = checkAssertionClaims(jwt.payload, {
      clientId: client.clientId,
      audiences: this.#audiences,
      nowSeconds: nowMs / 1000,
      maxLifetimeSeconds: client.assertionMaxLifetimeSeconds ?? DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS,
    });
    // Held as long as the assertion could still pass the exp check: at most its lifetime plus twice the skew.
    const expiresAtMs = (exp + CLOCK_SKEW_SECONDS) * 1000;
    const seen = this.#replay.remember(client, jti, expiresAtMs, nowMs);
    if (seen === 'replayed') {
      throw new InvalidClient(
        `client_assertion 'jti' ${quote(jti)} was already used: sign a new assertion for every request`,
      );
    }
    if (seen !== 'fresh') {
      throw new InvalidClient('client_assertion cannot be checked for replay now: retry shortly', {
        detail: replayRefusalDetail(seen, client),
      });
    }
  }

  /**
   * Verifies a federated workload token presented as the `client_assertion` of the client `clientId`:
   * the token must verify as {@link verifyTrustedToken} says (a Connection's issuer, its keys from the
   * snapshot, `aud`, `exp`), and the client must list its issuer's Connection and exactly its `sub` among
   * its `federatedIdentities`. The token is checked before the client is looked up, so what a refusal says
   * never depends on the client: an unknown client, one without federated identities and one that federates
   * another subject all read as {@link clientAuthenticationFailed} (issue 9, item 8).
   *
   * No `jti` replay check: a projected ServiceAccount token is reused by design for every request until the
   * kubelet rotates it (and carries no `jti` of its own on older clusters); rejecting reuse would lock the
   * workload out after its first request. Its own short lifetime and audience binding limit a leak instead.
   *
   * @throws {InvalidClient} for every failure, with a public description and a private detail
   */
  async verifyFederated(snapshot: Snapshot, clientId: string, jwt: UnverifiedJwt): Promise<CompiledClient> {
    const trusted = await this.verifyTrustedToken(snapshot, jwt, CLIENT_ASSERTION);
    const client = snapshot.clients.get(clientId);
    if (client === undefined) throw clientAuthenticationFailed(`unknown client ${quote(clientId)}`);
    const federates = client.federatedIdentities.some(
      (i) => i.subject === trusted.subject && trusted.connections.has(i.connection),
    );
    if (!federates) {
      throw clientAuthenticationFailed(
        `client ${quote(clientId)} does not federate 'sub' ${quote(trusted.subject)} of issuer ${quote(trusted.issuer)}`,
      );
    }
    return client;
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
  async verifyTrustedToken(
    snapshot: Snapshot,
    jwt: UnverifiedJwt,
    refusal: Refusal,
  ): Promise<TrustedSubject> {
    const r = refusal;
    const alg = federatedAlgorithm(jwt, r);
    const iss = jwt.payload.iss;
    if (iss === undefined) throw r.refuse(`${r.parameter} 'iss' is missing`);
    const trusted = typeof iss === 'string' ? (snapshot.connectionsByIssuer.get(iss) ?? []) : [];
    if (typeof iss !== 'string' || trusted.length === 0) {
      throw r.refuse(
        `${r.parameter} 'iss' ${quote(typeof iss === 'string' ? iss : '')} is not the issuer of a trusted Connection`,
      );
    }
    await verifyIssuedBy(jwt, alg, iss, trusted, r, {
      audiences: this.#audiences,
      nowSeconds: this.#now() / 1000,
      onUnknownKey: this.#onUnknownIssuerKey,
    });
    // RFC 7523 §3 item 2: the subject is required; it is what maps the token to a client.
    const sub = jwt.payload.sub;
    if (typeof sub !== 'string' || sub === '') throw r.refuse(`${r.parameter} 'sub' is missing`);
    return {
      issuer: iss,
      subject: sub,
      connections: new Set(trusted.map((c) => `${c.namespace}/${c.name}`)),
    };
  }

  /** The client's public keys that could verify this assertion; a `jwksUri` is fetched on a miss. */
  async #publicKeys(
    clientId: string,
    keys: { kind: 'jwks'; keys: readonly ClientKey[] } | { kind: 'jwksUri'; uri: string },
    alg: string,
    kid: string | undefined,
    r: Refusal,
  ): Promise<ClientKey[]> {
    let available: readonly ClientKey[];
    if (keys.kind === 'jwks') {
      available = keys.keys;
    } else {
      const found = await this.#remoteKeys.lookup(
        clientId,
        keys.uri,
        (set) => matching(set, alg, kid).length > 0,
      );
      if (!found.ok) {
        throw r.refuse(`the keys of client ${quote(clientId)} could not be fetched from its jwksUri`, {
          detail: found.message,
        });
      }
      available = found.keys;
    }
    const candidates = matching(available, alg, kid);
    if (candidates.length > 0) return candidates;
    if (kid !== undefined && !available.some((k) => k.kid === kid)) {
      throw r.refuse(`client_assertion 'kid' ${quote(kid)} is not a key of this client`);
    }
    throw r.refuse(
      `no key of this client can verify client_assertion 'alg' ${quote(alg)}${kid === undefined ? '' : ` with 'kid' ${quote(kid)}`}`,
    );
  }
}

/** Keys that fit the header: the same `kid` when it names one, and a key type and curve made for `alg`. */
function matching(keys: readonly ClientKey[], alg: string, kid: string | undefined): ClientKey[] {
  return keys.filter((k) => (kid === undefined || k.kid === kid) && fits(k, alg));
}

// RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2.2: which key verifies which algorithm.
function fits(key: ClientKey, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return key.kty === 'RSA';
  if (alg === 'ES256') return key.kty === 'EC' && key.crv === 'P-256';
  if (alg === 'ES384') return key.kty === 'EC' && key.crv === 'P-384';
  if (alg === 'ES512') return key.kty === 'EC' && key.crv === 'P-521';
  if (alg === 'EdDSA') return key.kty === 'OKP';
  if (alg === 'Ed25519') return key.kty === 'OKP' && key.crv === 'Ed25519';
  return false;
}

/** Succeeds when one of the keys verifies the signature with exactly `alg`. */
async function verifyWithAny(
  jwt: UnverifiedJwt,
  alg: string,
  keys: readonly KeyObject[],
  description = 'client_assertion signature does not verify with the keys of this client',
  refusal: Refusal = CLIENT_ASSERTION,
): Promise<void> {
  const failures: string[] = [];
  for (const key of keys) {
    try {
      // `algorithms` pins the one algorithm already checked against the method, so a public key can never
      // be taken for an HMAC secret (key confusion); jose also refuses unknown `crit` headers (RFC 7515 §4.1.11).
      await compactVerify(jwt.compact, key, { algorithms: [alg] });
      return;
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  throw refusal.refuse(description, { detail: failures.join('; ') || 'no key to try' });
}

function wrongAlgorithm(alg: string, method: string, allowed: string): string {
  return `client_assertion 'alg' ${quote(alg)} is not accepted for ${method}: use one of ${allowed}`;
}

const SIGNATURE_FAILED = 'client_assertion signature does not verify with the keys of this client';

/**
 * How a client's own assertion is refused until its signature has verified: as an unknown client would be,
 * with what went wrong and the client it named in the private detail (issue 9, item 8).
 */
function unverified(clientId: string): Refusal {
  return {
    parameter: 'client_assertion',
    refuse: (description, options) =>
      clientAuthenticationFailed(
        `client ${quote(clientId)}: ${description}${options?.detail === undefined ? '' : `; ${options.detail}`}`,
      ),
  };
}

/**
 * The checks of a client assertion's header that need no client, made before the client is looked up so
 * their answers cannot tell whether it exists: `alg` is present, not `none`, and one that some client may
 * use (RFC 7518 §3.1). Returns `alg`.
 *
 * @throws {InvalidClient} naming what is wrong with `alg`
 */
export function checkAssertionHeader(jwt: UnverifiedJwt): string {
  const alg = jwt.header.alg;
  if (typeof alg !== 'string') throw new InvalidClient("client_assertion header 'alg' is missing");
  if (alg === 'none') throw new InvalidClient("client_assertion 'alg' none is never accepted");
  if (!ASSERTION_SIGNING_ALGORITHMS.includes(alg)) {
    throw new InvalidClient(
      `client_assertion 'alg' ${quote(alg)} is not accepted: use one of ${ASSERTION_SIGNING_ALGORITHMS.join(', ')}`,
    );
  }
  return alg;
}

/** What checking a federated token needs besides the token and its issuer's Connections. */
interface IssuedByContext {
  audiences: readonly string[];
  nowSeconds: number;
  onUnknownKey: UnknownIssuerKey;
}

/** The header's `alg` when a federated token may use it: asymmetric only, as an issuer's keys are public. */
function federatedAlgorithm(jwt: UnverifiedJwt, r: Refusal): string {
  const alg = jwt.header.alg;
  if (typeof alg !== 'string') throw r.refuse(`${r.parameter} header 'alg' is missing`);
  if (!ASYMMETRIC.has(alg)) {
    throw r.refuse(
      `${r.parameter} 'alg' ${quote(alg)} is not accepted for a federated identity: use one of ${ASYMMETRIC_ASSERTION_ALGORITHMS.join(', ')}`,
    );
  }
  return alg;
}

/**
 * Verifies the signature with the keys the operator found at the connections' issuer, then the claims. A
 * `kid` none of those keys has is reported first: it is how a key rotation at the issuer shows before the
 * operator's next periodic check of the issuer.
 */
async function verifyIssuedBy(
  jwt: UnverifiedJwt,
  alg: string,
  iss: string,
  connections: readonly CompiledConnection[],
  r: Refusal,
  context: IssuedByContext,
): Promise<void> {
  const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : undefined;
  const keys = connections.flatMap((c) => c.keys);
  if (kid !== undefined && !keys.some((k) => k.kid === kid)) {
    context.onUnknownKey(iss, kid.slice(0, MAX_REPORTED_KID));
    throw r.refuse(
      `${r.parameter} 'kid' ${quote(kid)} is not a known key of issuer ${quote(iss)}: its keys are being refreshed, retry shortly`,
    );
  }
  const candidates = matching(keys, alg, kid);
  if (candidates.length === 0) {
    throw r.refuse(
      `no key of issuer ${quote(iss)} can verify ${r.parameter} 'alg' ${quote(alg)}${kid === undefined ? '' : ` with 'kid' ${quote(kid)}`}`,
    );
  }
  await verifyWithAny(
    jwt,
    alg,
    candidates.map((k) => k.key),
    `${r.parameter} signature does not verify with the keys of issuer ${quote(iss)}`,
    r,
  );
  checkFederatedClaims(jwt.payload, {
    audiences: context.audiences,
    nowSeconds: context.nowSeconds,
    refusal: r,
  });
}

import { ASYMMETRIC_ASSERTION_ALGORITHMS } from '../../api/client-keys.ts';
import type { Clock } from '../../clock.ts';
import type { ReplayCache } from '../../runtime/replay-cache.ts';
import type { ClientKey } from '../../store/client-keys.ts';
import type { CompiledClient } from '../../store/snapshot.ts';
import { clientAuthenticationFailed, InvalidClient, quote } from '../errors.ts';
import { FailureCause } from '../failure-causes.ts';
import {
  checkAssertionClaims,
  CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS,
} from './claims.ts';
import type { UnverifiedJwt } from './jwt.ts';
import { matchingKeys, verifyWithAnyKey } from './key-matching.ts';
import type { Refusal } from './refusal.ts';
import type { RemoteKeySets } from './remote-keys.ts';
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

/** What checking a client's own assertion needs: audiences, clock, replay cache, fetched key sets. */
export interface ClientAssertionDeps {
  audiences: readonly string[];
  now: Clock;
  replay: ReplayCache;
  remoteKeys: RemoteKeySets;
}

/**
 * Checks a JWT client assertion (RFC 7523 §2.2, OpenID Connect Core §9) of `private_key_jwt` or
 * `client_secret_jwt`: see `AssertionVerifier.verify` (verifier.ts).
 *
 * @throws {InvalidClient} for every failure, with a public description and a private detail
 */
export async function verifyClientAssertion(
  client: CompiledClient,
  jwt: UnverifiedJwt,
  deps: ClientAssertionDeps,
): Promise<void> {
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
      previous !== undefined && deps.now() < previous.validUntilMs
        ? [...keys.keys, previous.value]
        : keys.keys;
    // RFC 7518 §3.2: the key must be at least as long as the hash; a generated secret has 43 bytes.
    const usable = inForce.filter((k) => (k.symmetricKeySize ?? 0) >= minBytes);
    if (usable.length === 0) {
      throw r.refuse(
        `client_assertion 'alg' ${quote(alg)} needs a client secret of at least ${minBytes} bytes (RFC 7518 section 3.2): use HS256`,
      );
    }
    await verifyWithAnyKey(jwt, alg, usable, SIGNATURE_FAILED, r);
  } else {
    if (!ASYMMETRIC.has(alg)) {
      throw r.refuse(wrongAlgorithm(alg, 'private_key_jwt', ASYMMETRIC_ASSERTION_ALGORITHMS.join(', ')));
    }
    const candidates = await publicKeys(client.clientId, keys, alg, kid, r, deps.remoteKeys);
    await verifyWithAnyKey(
      jwt,
      alg,
      candidates.map((k) => k.key),
      SIGNATURE_FAILED,
      r,
    );
  }

  const nowMs = deps.now();
  const { jti, exp } = checkAssertionClaims(jwt.payload, {
    clientId: client.clientId,
    audiences: deps.audiences,
    nowSeconds: nowMs / 1000,
    maxLifetimeSeconds: client.assertionMaxLifetimeSeconds ?? DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS,
  });
  // Held as long as the assertion could still pass the exp check: at most its lifetime plus twice the skew.
  const expiresAtMs = (exp + CLOCK_SKEW_SECONDS) * 1000;
  const seen = await deps.replay.remember(client, jti, expiresAtMs, nowMs);
  if (seen === 'replayed') {
    throw new InvalidClient(
      `client_assertion 'jti' ${quote(jti)} was already used: sign a new assertion for every request`,
      { failure: FailureCause.ReplayedAssertion },
    );
  }
  if (seen !== 'fresh') {
    throw new InvalidClient('client_assertion cannot be checked for replay now: retry shortly', {
      detail: replayRefusalDetail(seen, client),
      failure: FailureCause.ReplayCheckUnavailable,
    });
  }
}

/** The client's public keys that could verify this assertion; a `jwksUri` is fetched on a miss. */
async function publicKeys(
  clientId: string,
  keys: { kind: 'jwks'; keys: readonly ClientKey[] } | { kind: 'jwksUri'; uri: string },
  alg: string,
  kid: string | undefined,
  r: Refusal,
  remoteKeys: RemoteKeySets,
): Promise<ClientKey[]> {
  let available: readonly ClientKey[];
  if (keys.kind === 'jwks') {
    available = keys.keys;
  } else {
    const found = await remoteKeys.lookup(
      clientId,
      keys.uri,
      (set) => matchingKeys(set, alg, kid).length > 0,
    );
    if (!found.ok) {
      throw r.refuse(`the keys of client ${quote(clientId)} could not be fetched from its jwksUri`, {
        detail: found.message,
        failure: FailureCause.ClientKeysUnavailable,
      });
    }
    available = found.keys;
  }
  const candidates = matchingKeys(available, alg, kid);
  if (candidates.length > 0) return candidates;
  if (kid !== undefined && !available.some((k) => k.kid === kid)) {
    throw r.refuse(`client_assertion 'kid' ${quote(kid)} is not a key of this client`);
  }
  throw r.refuse(
    `no key of this client can verify client_assertion 'alg' ${quote(alg)}${kid === undefined ? '' : ` with 'kid' ${quote(kid)}`}`,
  );
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
        { failure: options?.failure ?? FailureCause.BadAssertion },
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
  const refused = { failure: FailureCause.BadAssertion };
  if (typeof alg !== 'string') throw new InvalidClient("client_assertion header 'alg' is missing", refused);
  if (alg === 'none') throw new InvalidClient("client_assertion 'alg' none is never accepted", refused);
  if (!ASSERTION_SIGNING_ALGORITHMS.includes(alg)) {
    throw new InvalidClient(
      `client_assertion 'alg' ${quote(alg)} is not accepted: use one of ${ASSERTION_SIGNING_ALGORITHMS.join(', ')}`,
      refused,
    );
  }
  return alg;
}

import { ASYMMETRIC_ASSERTION_ALGORITHMS } from '../../api/client-keys.ts';
import type { Clock } from '../../clock.ts';
import type { CompiledClient, CompiledConnection, Snapshot } from '../../store/snapshot.ts';
import { clientAuthenticationFailed, quote } from '../errors.ts';
import { FailureCause } from '../failure-causes.ts';
import { checkFederatedClaims } from './claims.ts';
import type { UnverifiedJwt } from './jwt.ts';
import { matchingKeys, verifyWithAnyKey } from './key-matching.ts';
import { CLIENT_ASSERTION, type Refusal } from './refusal.ts';

const ASYMMETRIC: ReadonlySet<string> = new Set(ASYMMETRIC_ASSERTION_ALGORITHMS);

/** Who a verified token from a trusted issuer names, for mapping to the clients that federate it. */
export interface TrustedSubject {
  issuer: string;
  /** The token's `sub`. */
  subject: string;
  /** The Connections (`namespace/name`) whose issuer it is: the ones an identity must name to match. */
  connections: ReadonlySet<string>;
}

/** See `AssertionVerifierOptions.onUnknownIssuerKey` (verifier.ts). */
export type UnknownIssuerKey = (issuer: string, kid: string) => void;

/** The longest `kid` passed on to {@link UnknownIssuerKey}: enough for any real one, bounded for logs. */
const MAX_REPORTED_KID = 100;

/** What checking a federated token needs: audiences, clock, and whom to tell of an unknown key. */
export interface FederatedTokenDeps {
  audiences: readonly string[];
  now: Clock;
  onUnknownIssuerKey: UnknownIssuerKey;
}

/**
 * Verifies a federated workload token presented as a client's `client_assertion`: see
 * `AssertionVerifier.verifyFederated` (verifier.ts).
 */
export async function verifyFederatedClient(
  snapshot: Snapshot,
  clientId: string,
  jwt: UnverifiedJwt,
  deps: FederatedTokenDeps,
): Promise<CompiledClient> {
  const trusted = await verifyTrustedToken(snapshot, jwt, CLIENT_ASSERTION, deps);
  const client = snapshot.clients.get(clientId);
  if (client === undefined) {
    throw clientAuthenticationFailed(`unknown client ${quote(clientId)}`, {
      failure: FailureCause.UnknownClient,
    });
  }
  const federates = client.federatedIdentities.some(
    (i) => i.subject === trusted.subject && trusted.connections.has(i.connection),
  );
  if (!federates) {
    throw clientAuthenticationFailed(
      `client ${quote(clientId)} does not federate 'sub' ${quote(trusted.subject)} of issuer ${quote(trusted.issuer)}`,
      { failure: FailureCause.NotFederated },
    );
  }
  return client;
}

/**
 * Verifies a token from the issuer of a Connection that is itself the grant: see
 * `AssertionVerifier.verifyTrustedToken` (verifier.ts).
 */
export async function verifyTrustedToken(
  snapshot: Snapshot,
  jwt: UnverifiedJwt,
  refusal: Refusal,
  deps: FederatedTokenDeps,
): Promise<TrustedSubject> {
  const r = refusal;
  const alg = federatedAlgorithm(jwt, r);
  const iss = jwt.payload.iss;
  if (iss === undefined) throw r.refuse(`${r.parameter} 'iss' is missing`);
  const trusted = typeof iss === 'string' ? (snapshot.connectionsByIssuer.get(iss) ?? []) : [];
  if (typeof iss !== 'string' || trusted.length === 0) {
    throw r.refuse(
      `${r.parameter} 'iss' ${quote(typeof iss === 'string' ? iss : '')} is not the issuer of a trusted Connection`,
      { failure: FailureCause.UntrustedIssuer },
    );
  }
  await verifyIssuedBy(jwt, alg, iss, trusted, r, {
    audiences: deps.audiences,
    nowSeconds: deps.now() / 1000,
    onUnknownKey: deps.onUnknownIssuerKey,
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
      { failure: FailureCause.UnknownIssuerKey },
    );
  }
  const candidates = matchingKeys(keys, alg, kid);
  if (candidates.length === 0) {
    throw r.refuse(
      `no key of issuer ${quote(iss)} can verify ${r.parameter} 'alg' ${quote(alg)}${kid === undefined ? '' : ` with 'kid' ${quote(kid)}`}`,
    );
  }
  await verifyWithAnyKey(
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

import { federatedSubjectKey } from '../../store/compile/federated-index.ts';
import type { CompiledClient, Snapshot } from '../../store/snapshot.ts';
import { parseUnverifiedJwt } from '../assertion/jwt.ts';
import type { Refusal } from '../assertion/refusal.ts';
import type { TrustedSubject } from '../assertion/verifier.ts';
import { InvalidRequest, quote } from '../errors.ts';
import { FailureCause } from '../failure-causes.ts';
import type { IdentifyContext } from './grant.ts';

/**
 * The clients that list this issuer's subject among their `federatedIdentities`, in claim order: the order
 * of {@link Snapshot.clients}, oldest claim first (src/store/claims.ts).
 */
export function clientsFederating(snapshot: Snapshot, trusted: TrustedSubject): CompiledClient[] {
  const index = snapshot.federatedClients;
  const found = new Set<CompiledClient>();
  for (const connection of trusted.connections) {
    for (const client of index.bySubject.get(federatedSubjectKey(connection, trusted.subject)) ?? [])
      found.add(client);
  }
  const rank = (c: CompiledClient) => index.rank.get(c) ?? 0;
  return [...found].sort((a, b) => rank(a) - rank(b));
}

/**
 * Which of the clients federating a subject a request without `client_id` may reach (issue 9, item 7): those
 * of the namespace whose client claims first, so another namespace federating the same subject later can
 * never make a team's request ambiguous nor take it over; that namespace's clients are reached with
 * `client_id`. A ServiceAccount's subject is federated only in its own namespace anyway
 * (src/store/federated-subjects.ts); this decides for other issuers' subjects.
 *
 * @param candidates in claim order, as {@link clientsFederating} returns them
 */
export function reachableWithoutClientId(candidates: readonly CompiledClient[]): CompiledClient[] {
  const first = candidates[0];
  return first === undefined ? [] : candidates.filter((c) => c.namespace === first.namespace);
}

/**
 * The client a token from a trusted issuer stands for (RFC 7523 §2.1 `assertion`, RFC 8693 §2.1
 * `subject_token`): the OAuthClient whose `federatedIdentities` list its issuer's Connection and its exact
 * `sub`, the same mapping a federated `client_assertion` goes through.
 * - A client that authenticated gets a token only for a subject it federates itself, so credentials of one
 *   client never buy tokens of another.
 * - Without credentials, `client_id` picks one of the clients federating the subject; without it the
 *   subject must map to exactly one client of the namespace that claimed it first
 *   ({@link reachableWithoutClientId}).
 *
 * @throws the refusal's error when the token does not verify or maps to no such client
 * @throws {InvalidRequest} when several clients of that namespace federate the subject and no `client_id`
 *   says which
 */
export async function federatedClientOf(
  ctx: IdentifyContext,
  token: string,
  refusal: Refusal,
): Promise<CompiledClient> {
  const jwt = parseUnverifiedJwt(token, refusal);
  const trusted = await ctx.assertions.verifyTrustedToken(ctx.snapshot, jwt, refusal);
  const candidates = clientsFederating(ctx.snapshot, trusted);
  const sub = `${refusal.parameter} 'sub' ${quote(trusted.subject)}`;
  const wanted = ctx.authenticated?.clientId ?? ctx.clientId;
  if (wanted !== undefined) {
    const client = candidates.find((c) => c.clientId === wanted);
    if (client === undefined) {
      throw refusal.refuse(`${sub} is not a federated identity of client ${quote(wanted)}`, {
        failure: FailureCause.NotFederated,
      });
    }
    return client;
  }
  const reachable = reachableWithoutClientId(candidates);
  const [only] = reachable;
  if (only === undefined) {
    throw refusal.refuse(`${sub} is not a federated identity of any client`, {
      failure: FailureCause.NotFederated,
    });
  }
  if (reachable.length > 1) {
    throw new InvalidRequest(
      `client_id is required: ${sub} of issuer ${quote(trusted.issuer)} is a federated identity of several clients`,
    );
  }
  return only;
}

import type { CompiledClient, Snapshot } from '../../store/snapshot.ts';
import { parseUnverifiedJwt } from '../assertion/jwt.ts';
import type { Refusal } from '../assertion/refusal.ts';
import type { TrustedSubject } from '../assertion/verifier.ts';
import { InvalidRequest, quote } from '../errors.ts';
import type { IdentifyContext } from './grant.ts';

/** Clients by `connection + NUL + subject` of each of their federated identities. */
type SubjectIndex = ReadonlyMap<string, readonly CompiledClient[]>;

// Built once per snapshot on first use: the snapshot is immutable, so the index never goes stale, and a
// swapped-out snapshot takes its index with it.
const indexes = new WeakMap<Snapshot, SubjectIndex>();

function indexOf(snapshot: Snapshot): SubjectIndex {
  const held = indexes.get(snapshot);
  if (held !== undefined) return held;
  const index = new Map<string, CompiledClient[]>();
  for (const client of snapshot.clients.values()) {
    for (const identity of client.federatedIdentities) {
      const key = `${identity.connection}\0${identity.subject}`;
      const clients = index.get(key);
      if (clients === undefined) index.set(key, [client]);
      else if (!clients.includes(client)) clients.push(client);
    }
  }
  indexes.set(snapshot, index);
  return index;
}

/** The clients that list this issuer's subject among their `federatedIdentities`, in client id order. */
export function clientsFederating(snapshot: Snapshot, trusted: TrustedSubject): CompiledClient[] {
  const index = indexOf(snapshot);
  const found = new Set<CompiledClient>();
  for (const connection of trusted.connections) {
    for (const client of index.get(`${connection}\0${trusted.subject}`) ?? []) found.add(client);
  }
  return [...found].sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
}

/**
 * The client a token from a trusted issuer stands for (RFC 7523 §2.1 `assertion`, RFC 8693 §2.1
 * `subject_token`): the OAuthClient whose `federatedIdentities` list its issuer's Connection and its exact
 * `sub`, the same mapping a federated `client_assertion` goes through.
 * - A client that authenticated gets a token only for a subject it federates itself, so credentials of one
 *   client never buy tokens of another.
 * - Without credentials, `client_id` picks one of the clients federating the subject; without it the
 *   subject must map to exactly one client.
 *
 * @throws the refusal's error when the token does not verify or maps to no such client
 * @throws {InvalidRequest} when several clients federate the subject and no `client_id` says which
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
      throw refusal.refuse(`${sub} is not a federated identity of client ${quote(wanted)}`);
    }
    return client;
  }
  const [only] = candidates;
  if (only === undefined) throw refusal.refuse(`${sub} is not a federated identity of any client`);
  if (candidates.length > 1) {
    throw new InvalidRequest(
      `client_id is required: ${sub} of issuer ${quote(trusted.issuer)} is a federated identity of several clients`,
    );
  }
  return only;
}

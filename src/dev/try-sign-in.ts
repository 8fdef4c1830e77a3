/**
 * The `sign in:` line under dev mode's ready line (issue 12): an authorization URL to open in a browser for one
 * client that signs people in, with the PKCE verifier to redeem its code with (docs/people-sign-in.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CompiledClient, CompiledPeopleClient, Snapshot } from '../store/snapshot.ts';

/** A PKCE pair (RFC 7636 §4.1, §4.2): the verifier the person keeps, and its S256 challenge. */
export interface PkcePair {
  verifier: string;
  challenge: string;
}

/** A new PKCE pair: 32 random bytes as the verifier (43 base64url characters), its SHA-256 as the challenge. */
export function newPkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

type PeopleClient = CompiledClient & { people: CompiledPeopleClient };

/**
 * What to open to sign in to one client, and the verifier its code needs; undefined when no client can sign
 * people in. A client offering a `test` Connection comes first (it needs no identity provider), then by client
 * id; clients that must push their requests (PAR) are left out, since a URL alone cannot start theirs.
 *
 * @example
 * signInHint(store.current(), 'http://127.0.0.1:8080/oauth2/authorize', newPkcePair());
 * // 'http://127.0.0.1:8080/oauth2/authorize?response_type=code&client_id=notes-web.notes&… (PKCE code_verifier …)'
 */
export function signInHint(
  snapshot: Snapshot,
  authorizationEndpoint: string,
  pkce: PkcePair,
): string | undefined {
  const offersTest = (c: PeopleClient) =>
    c.people.connections.some((key) => snapshot.connections.get(key)?.type === 'test');
  const [client] = [...snapshot.clients.values()]
    .filter(
      (c): c is PeopleClient =>
        c.people !== undefined &&
        c.grantTypes.has('authorization_code') &&
        c.people.connections.length > 0 &&
        c.people.redirectUris.length > 0 &&
        !c.people.requirePushedAuthorizationRequests,
    )
    .sort((a, b) => Number(offersTest(b)) - Number(offersTest(a)) || a.clientId.localeCompare(b.clientId));
  if (client === undefined) return undefined;
  const url = new URL(authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.people.redirectUris[0] as string,
    scope: scopesToTry(client).join(' '),
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return `${url.href} (PKCE code_verifier ${pkce.verifier})`;
}

/** OpenID's scopes, `offline_access` when the client may refresh, and the scopes of its API when it has one. */
function scopesToTry(client: PeopleClient): string[] {
  const scopes = ['openid', 'profile', 'email'];
  if (client.grantTypes.has('refresh_token')) scopes.push('offline_access');
  const [only, ...others] = client.permissions.values();
  if (only !== undefined && others.length === 0) scopes.push(...only.scopes);
  return scopes;
}

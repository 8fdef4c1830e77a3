import type { CompiledClient } from './snapshot.ts';

/**
 * Whether a client in the snapshot can get a token: for some API, on its own or in an Organization's context.
 * A client whose every grant was refused (`ReferenceNotAllowed`, `ReferenceNotFound`) still authenticates,
 * and every token request it makes fails.
 */
export function canGetTokens(client: Pick<CompiledClient, 'permissions' | 'organizations'>): boolean {
  if (client.permissions.size > 0) return true;
  for (const membership of client.organizations.values()) if (membership.permissions.size > 0) return true;
  return false;
}

/**
 * How many clients are in effect (can get tokens) and how many of the `declared` OAuthClients are blocked
 * (cannot: not in the snapshot, or granted nothing), as dev mode's `applied:` line counts them (issue 16).
 */
export function clientCounts(
  clients: Iterable<Pick<CompiledClient, 'permissions' | 'organizations'>>,
  declared: number,
): { inEffect: number; blocked: number } {
  let inEffect = 0;
  for (const c of clients) if (canGetTokens(c)) inEffect++;
  return { inEffect, blocked: Math.max(0, declared - inEffect) };
}

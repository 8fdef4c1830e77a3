import type { ClientOrganization, CompiledClient } from '../../store/snapshot.ts';
import { membershipsOf, grantNames, type RulePerson } from './rules.ts';

/**
 * The Connections a sign-in offers, as keys: the client's, and for an organization sign-in only those the
 * organization enables too (its `spec.connections`), in the client's order.
 */
export function signInConnectionKeys(
  client: Pick<CompiledClient, 'organizations'> & { people: { connections: readonly string[] } },
  organizationId: string | undefined,
): readonly string[] {
  if (organizationId === undefined) return client.people.connections;
  const enabled = client.organizations.get(organizationId)?.organization.connections ?? [];
  return client.people.connections.filter((key) => enabled.includes(key));
}

/** What an authorization's organization comes to, once the person has signed in. */
export type OrganizationOutcome =
  /** Tokens for no organization. */
  | { kind: 'none' }
  /** Tokens for this organization. */
  | { kind: 'member'; membership: ClientOrganization }
  /** The client requires an organization and the person is a member of several: they choose on a page. */
  | { kind: 'choose'; choices: readonly ClientOrganization[] }
  /** No tokens: `access_denied`, for `reason` (a sentence the client may be told). */
  | { kind: 'refuse'; reason: string };

/**
 * Decides the organization of a person's tokens from what the authorization asked (`organization`, an `org_id`
 * the authorization endpoint checked, or the person's choice) and the client's `organizationUsage`, under the
 * rules in force now: the organization must still list the client, and its `members` must name the person.
 * Without one, a client that requires an organization gets the person's only one, or a choice among several;
 * any other client gets none. The same decision serves the code, the device approval and each refresh, so a
 * change of rules applies at the next sign-in or refresh.
 *
 * @example
 * decideOrganization('org_x', client, person); // { kind: 'refuse', reason: "…not a member of organization 'acme'" }
 */
export function decideOrganization(
  asked: string | undefined,
  client: Pick<CompiledClient, 'organizations' | 'organizationUsage'>,
  person: RulePerson,
): OrganizationOutcome {
  if (asked !== undefined) {
    const membership = client.organizations.get(asked);
    if (membership === undefined || client.organizationUsage === 'deny') {
      return { kind: 'refuse', reason: 'the organization no longer lists this client' };
    }
    if (!membership.organization.members.some((grant) => grantNames(grant, person))) {
      const name = membership.organization.name;
      return { kind: 'refuse', reason: `the person is not a member of organization '${name}'` };
    }
    return { kind: 'member', membership };
  }
  if (client.organizationUsage !== 'require') return { kind: 'none' };
  const memberships = membershipsOf(client, person);
  const only = memberships[0];
  if (only === undefined) {
    return { kind: 'refuse', reason: 'the person is not a member of any organization of this client' };
  }
  return memberships.length === 1
    ? { kind: 'member', membership: only }
    : { kind: 'choose', choices: memberships };
}

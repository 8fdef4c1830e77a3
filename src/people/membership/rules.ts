import type {
  ClientOrganization,
  CompiledApi,
  CompiledClient,
  PeopleGrant,
  PersonRule,
} from '../../store/snapshot.ts';
import type { SessionRecord, SignInFacts } from '../records.ts';

/** A signed-in person as Organization and Role rules see them. */
export interface RulePerson {
  userId: string;
  facts: SignInFacts;
}

/** The person of a session: facts recorded before sign-ins recorded them are the Connection alone (factsOr). */
export function sessionPerson(session: Pick<SessionRecord, 'userId' | 'facts' | 'connection'>): RulePerson {
  return { userId: session.userId, facts: factsOr(session.facts, session.connection) };
}

/** The facts of a grant recorded before sign-ins recorded them: the Connection alone, no groups, no email. */
export function factsOr(facts: SignInFacts | undefined, connection: string): SignInFacts {
  return facts ?? { connection, groups: [] };
}

/** The facts a sign-in records: the email only when the Connection says it is verified. */
export function signInFacts(
  connection: string,
  identity: { groups: readonly string[]; email?: string; emailVerified: boolean },
): SignInFacts {
  return {
    connection,
    groups: [...identity.groups],
    ...(identity.emailVerified && identity.email !== undefined ? { verifiedEmail: identity.email } : {}),
  };
}

/**
 * Whether `rule` names `person`: their user id; or their Connection, and then the group among their groups
 * (exact, as the Connection mapped it) or the domain of their verified email (case-insensitive, the domain
 * itself and not its subdomains).
 *
 * @example
 * matchesRule({ connection: 'corp/sso', emailDomain: 'example.com' }, alice); // alice@Example.com, verified: true
 */
export function matchesRule(rule: PersonRule, person: RulePerson): boolean {
  if ('userId' in rule) return rule.userId === person.userId;
  if (rule.connection !== person.facts.connection) return false;
  if (rule.group !== undefined) return person.facts.groups.includes(rule.group);
  if (rule.emailDomain !== undefined) {
    const email = person.facts.verifiedEmail;
    if (email === undefined) return false;
    const at = email.lastIndexOf('@');
    return at > 0 && email.slice(at + 1).toLowerCase() === rule.emailDomain;
  }
  return true;
}

/** Whether any of the grant's rules names the person. */
export function grantNames(grant: PeopleGrant, person: RulePerson): boolean {
  return grant.rules.some((rule) => matchesRule(rule, person));
}

/** The organizations listing `client` that `person` is a member of, in the client's order. */
export function membershipsOf(
  client: Pick<CompiledClient, 'organizations'>,
  person: RulePerson,
): ClientOrganization[] {
  return [...client.organizations.values()].filter((m) =>
    m.organization.members.some((grant) => grantNames(grant, person)),
  );
}

/**
 * The scopes `person`'s Roles give them on `api`, in its declaration order: Roles whose `subjects` name them,
 * and in an organization's context the roles of each member rule that names them.
 */
export function personPermissions(
  peopleRoles: readonly PeopleGrant[],
  membership: ClientOrganization | undefined,
  person: RulePerson,
  api: CompiledApi,
): string[] {
  const granted = new Set<string>();
  const add = (grant: PeopleGrant) => {
    const scopes = grant.permissions.get(api.identifier);
    if (scopes === undefined || !grantNames(grant, person)) return;
    for (const s of scopes) granted.add(s);
  };
  peopleRoles.forEach(add);
  membership?.organization.members.forEach(add);
  return api.scopes.filter((s) => granted.has(s));
}

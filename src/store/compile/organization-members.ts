import type { DeclaredOrganization } from '../objects.ts';
import { secretKey } from '../objects.ts';
import { Reason, type Problem } from '../reasons.ts';
import type { CompiledOrganization, PeopleGrant } from '../snapshot.ts';
import { peopleReach } from './people-reach.ts';
import { resolvePersonRule, scopeSetsOf, type PersonRuleScope } from './person-rules.ts';
import { describe, resolveRef, type OptIn, type RefSite } from './resolve-ref.ts';
import { roleTargets, type CompiledRoles } from './roles.ts';

/** What an Organization's people settings resolve against. */
export interface OrganizationPeopleScope extends PersonRuleScope {
  roles: CompiledRoles;
  optIn: OptIn;
}

/**
 * An Organization's Connections (`spec.connections` that resolve and sign people in) and its member rules, each
 * with the permissions of its roles that reach people (./people-reach.ts). A rule whose Connection is not one of
 * the Organization's adds a problem and names no one: an organization sign-in offers only those.
 */
export function organizationPeople(
  decl: DeclaredOrganization,
  scope: OrganizationPeopleScope,
  problems: Problem[],
): Pick<CompiledOrganization, 'connections' | 'members'> {
  const { namespace, name } = decl.metadata;
  const connections: string[] = [];
  decl.spec.connections.forEach((ref, i) => {
    const site = { namespace, where: `spec.connections[${i}]`, optIn: scope.optIn, problems };
    const target = resolveRef(ref, site, scope.connections);
    if (target === undefined) return;
    const key = secretKey(target.metadata.namespace, target.metadata.name);
    if (!connections.includes(key)) connections.push(key);
  });
  const roles = roleTargets(scope.roles);
  const source = describe('Organization', namespace, name);
  const members: PeopleGrant[] = [];
  (decl.spec.members ?? []).forEach((member, i) => {
    const where = `spec.members[${i}]`;
    const site: RefSite = { namespace, where, optIn: scope.optIn, problems };
    const rule = resolvePersonRule(member, site, scope);
    if (rule === undefined) return;
    if ('connection' in rule && !connections.includes(rule.connection)) {
      problems.push({
        reason: Reason.ConnectionCannotSignIn,
        message: `${where}.connection: Connection ${rule.connection} is not among spec.connections, so no one signs in to this organization through it`,
      });
      return;
    }
    const reached = (member.roles ?? []).flatMap((ref, j) => {
      const roleSite = { ...site, where: `${where}.roles[${j}]` };
      const role = resolveRef(ref, roleSite, roles);
      if (role === undefined) return [];
      return peopleReach(role.permissions, role.decl.metadata.namespace, roleSite.where, problems);
    });
    members.push({ rules: [rule], permissions: scopeSetsOf(reached), source });
  });
  return { connections, members };
}

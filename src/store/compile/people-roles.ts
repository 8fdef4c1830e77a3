import type { PeopleGrant } from '../snapshot.ts';
import { describe } from './resolve-ref.ts';
import { scopeSetsOf } from './person-rules.ts';
import type { RoleEntry } from './roles.ts';

/** The Roles whose `spec.subjects` name someone and give people something, as the snapshot's `peopleRoles`. */
export function peopleRolesOf(roles: Iterable<RoleEntry>): PeopleGrant[] {
  const out: PeopleGrant[] = [];
  for (const role of roles) {
    if (role.subjects.length === 0 || role.peoplePermissions.length === 0) continue;
    const { namespace, name } = role.decl.metadata;
    out.push({
      rules: role.subjects,
      permissions: scopeSetsOf(role.peoplePermissions),
      source: describe('Role', namespace, name),
    });
  }
  return out;
}

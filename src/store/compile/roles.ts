import type { DeclaredRole, ObjectKey } from '../objects.ts';
import { objectKey, secretKey } from '../objects.ts';
import type { Problem } from '../reasons.ts';
import type { ResolvedPermission } from './api-reach.ts';
import { apiTargets, type CompiledApis } from './apis.ts';
import { referencesCondition, resolutionOf, type Resolution } from './conditions.ts';
import { resolvePermission } from './permissions.ts';
import { peopleReach } from './people-reach.ts';
import { resolvePersonRule, type PersonRuleScope } from './person-rules.ts';
import type { OptIn, RefTargets } from './resolve-ref.ts';
import type { PersonRule } from '../snapshot.ts';

/** A Role compiled: the permissions that resolved, and the people its `spec.subjects` name. */
export interface RoleEntry {
  decl: DeclaredRole;
  objectKey: ObjectKey;
  permissions: ResolvedPermission[];
  /** The rules of `spec.subjects` that resolved; empty without subjects. */
  subjects: PersonRule[];
  /** The permissions that reach people (./people-reach.ts): those on ResourceServers of the Role's namespace. */
  peoplePermissions: ResolvedPermission[];
  resolution: Resolution;
}

/** The Roles by `namespace/name`. */
export type CompiledRoles = ReadonlyMap<string, RoleEntry>;

/**
 * Each Role with the permissions that resolved; a Role whose declaration is the one `reusable` holds an entry
 * for is taken as it was (./reuse.ts decides when the previous entries may be offered).
 */
export function compileRoles(
  declared: readonly DeclaredRole[],
  apis: CompiledApis,
  optIn: OptIn,
  people: PersonRuleScope,
  reusable: CompiledRoles | undefined,
): Map<string, RoleEntry> {
  const roles = new Map<string, RoleEntry>();
  const targets = apiTargets(apis);
  for (const role of declared) {
    const { namespace, name } = role.metadata;
    const key = secretKey(namespace, name);
    const before = reusable?.get(key);
    if (before?.decl === role) {
      roles.set(key, before);
      continue;
    }
    const problems: Problem[] = [];
    const permissions = role.spec.permissions.flatMap((perm, i) => {
      const site = { namespace, where: `spec.permissions[${i}]`, optIn, problems };
      const g = resolvePermission(perm, site, targets);
      return g ? [g] : [];
    });
    const subjects = (role.spec.subjects ?? []).flatMap((rule, i) => {
      const r = resolvePersonRule(rule, { namespace, where: `spec.subjects[${i}]`, optIn, problems }, people);
      return r === undefined ? [] : [r];
    });
    const peoplePermissions =
      role.spec.subjects === undefined ? [] : peopleReach(permissions, namespace, 'spec.subjects', problems);
    const resolution = resolutionOf(role, problems, {}, [referencesCondition(problems)]);
    roles.set(key, {
      decl: role,
      objectKey: objectKey('Role', namespace, name),
      permissions,
      subjects,
      peoplePermissions,
      resolution,
    });
  }
  return roles;
}

/** Roles as reference targets; `read` learns each lookup, so a client can tell later whether one changed. */
export function roleTargets(
  roles: CompiledRoles,
  read?: [string, RoleEntry | undefined][],
): RefTargets<RoleEntry> {
  return {
    kind: 'Role',
    get: (key) => {
      const role = roles.get(key);
      read?.push([key, role]);
      return role;
    },
    referable: (entry) => entry.decl,
    mayBeNotReady: false,
  };
}

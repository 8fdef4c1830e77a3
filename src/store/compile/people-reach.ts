import { Reason, type Problem } from '../reasons.ts';
import type { ResolvedPermission } from './api-reach.ts';

/**
 * The permissions of a Role that may reach people: those on ResourceServers in the Role's own namespace. People
 * have no namespace an API's owner could open its API to, so only the owner gives people its permissions (a
 * Role in the API's namespace, through `spec.subjects` or an Organization it lets reference it); a Role that
 * another team may reference passes the API on to that team's clients, never to everyone who signs in. Each
 * refused permission adds a problem at `where`.
 */
export function peopleReach(
  permissions: readonly ResolvedPermission[],
  roleNamespace: string,
  where: string,
  problems: Problem[],
): ResolvedPermission[] {
  const reaches = (p: ResolvedPermission) => p.api.namespace === roleNamespace;
  for (const p of permissions) {
    if (reaches(p)) continue;
    problems.push({
      reason: Reason.ReferenceNotAllowed,
      message: `${where}: people get no permissions on ResourceServer ${p.api.namespace}/${p.api.name} through this Role, which is in namespace ${roleNamespace}: only a Role in the ResourceServer's own namespace gives people its permissions`,
    });
  }
  return permissions.filter(reaches);
}

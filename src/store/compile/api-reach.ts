import type { CompiledApi } from '../snapshot.ts';
import { Reason, type Problem } from '../reasons.ts';

/** One permission a Role resolved: scopes of one API. */
export interface ResolvedPermission {
  api: CompiledApi;
  scopes: string[];
}

/** The Role a chain passes through: its namespace, and whether its own opt-in selects a namespace. */
export interface Via {
  namespace: string;
  allows: (namespace: string) => boolean;
  /** How the problem names the path: `Role payments/writer`, `… for OAuthClient billing/worker`. */
  label: string;
}

/**
 * The permissions of a Role that may reach a client in `clientNamespace` (issue 9). Only an API's owner opens
 * it to a namespace: the API's own `allowedNamespaces`, or a Role in the API's own namespace whose
 * `allowedNamespaces` selects the client's namespace. A Role or Organization elsewhere only passes on what
 * the owner allowed for the client's namespace, so an allowed namespace cannot pass the API on to anyone.
 * Each refused permission adds a problem at `where` naming the API, the namespace and the path.
 */
export function permissionsReaching(
  permissions: readonly ResolvedPermission[],
  clientNamespace: string,
  apiAllows: (api: CompiledApi, namespace: string) => boolean,
  via: Via,
  where: string,
  problems: Problem[],
): readonly ResolvedPermission[] {
  const reaches = (p: ResolvedPermission) =>
    p.api.namespace === clientNamespace ||
    (p.api.namespace === via.namespace && via.allows(clientNamespace)) ||
    apiAllows(p.api, clientNamespace);
  if (permissions.every(reaches)) return permissions;
  for (const p of permissions) {
    if (reaches(p)) continue;
    problems.push({
      reason: Reason.ReferenceNotAllowed,
      message: `${where}: ResourceServer ${p.api.namespace}/${p.api.name} does not allow references from namespace ${clientNamespace} (its spec.allowedNamespaces), reached through ${via.label}`,
    });
  }
  return permissions.filter(reaches);
}

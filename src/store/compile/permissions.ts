import type { CompiledApi, Grant } from '../snapshot.ts';
import { Reason } from '../reasons.ts';
import { permissionsReaching, type ResolvedPermission } from './api-reach.ts';
import type { ApiEntry, CompiledApis } from './apis.ts';
import { describe, resolveRef, type OptIn, type Ref, type RefSite, type RefTargets } from './resolve-ref.ts';
import type { RoleEntry } from './roles.ts';
import { secretKey } from '../objects.ts';

/** Scopes by API identifier, while a client's or a membership's permissions are gathered. */
export type ScopeSets = Map<string, Set<string>>;

/**
 * Resolves `{resourceServer, scopes}` written at `site`: the scopes the ResourceServer declares, or
 * undefined after adding why not; scopes it does not declare are problems too.
 */
export function resolvePermission(
  perm: { resourceServer: Ref; scopes: readonly string[] },
  site: RefSite,
  apis: RefTargets<ApiEntry>,
): ResolvedPermission | undefined {
  const target = resolveRef(perm.resourceServer, site, apis);
  if (target === undefined) return undefined;
  const declared = new Set(target.api.scopes);
  const unknown = perm.scopes.filter((s) => !declared.has(s));
  if (unknown.length > 0) {
    const ns = perm.resourceServer.namespace ?? site.namespace;
    site.problems.push({
      reason: Reason.ScopeNotDeclared,
      message: `${site.where}: ${describe('ResourceServer', ns, perm.resourceServer.name)} does not declare scope ${unknown.join(', ')}`,
    });
  }
  const scopes = perm.scopes.filter((s) => declared.has(s));
  return scopes.length > 0 ? { api: target.api, scopes } : undefined;
}

/**
 * The permissions of a Role that the API owners' opt-in lets reach a client in `clientNamespace`
 * (./api-reach.ts); `forClient` names the client in problems when the Role is applied by an Organization.
 */
export function roleReaching(
  role: RoleEntry | undefined,
  clientNamespace: string,
  site: RefSite,
  apis: CompiledApis,
  forClient = '',
): readonly ResolvedPermission[] {
  if (role === undefined) return [];
  const { namespace, name } = role.decl.metadata;
  const optIn: OptIn = site.optIn;
  const apiAllows = (api: CompiledApi, to: string) =>
    optIn((apis.apiByKey.get(secretKey(api.namespace, api.name)) as ApiEntry).decl, to);
  const label = `${describe('Role', namespace, name)}${forClient === '' ? '' : ` for ${forClient}`}`;
  const via = { namespace, allows: (to: string) => optIn(role.decl, to), label };
  return permissionsReaching(role.permissions, clientNamespace, apiAllows, via, site.where, site.problems);
}

export function addScopes(into: ScopeSets, g: ResolvedPermission): void {
  const set = into.get(g.api.identifier) ?? new Set<string>();
  for (const s of g.scopes) set.add(s);
  into.set(g.api.identifier, set);
}

/** The gathered scopes as grants, each in its API's declaration order. */
export function toGrants(
  perms: ReadonlyMap<string, ReadonlySet<string>>,
  apis: ReadonlyMap<string, CompiledApi>,
): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const [identifier, set] of perms) {
    const api = apis.get(identifier) as CompiledApi;
    const scopes = api.scopes.filter((s) => set.has(s));
    out.set(identifier, { api, scopes, scopeSet: new Set(scopes) });
  }
  return out;
}
